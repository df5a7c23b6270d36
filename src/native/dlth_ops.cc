// dlth's own TensorFlow kernels: the trainer's element-wise and attention work as one kernel each
// way, where TensorFlow's ops take 3–7 passes and tfjs adds transposes, reshapes and splits.
//
//   DlthLayerNorm       x [T, D]                      → x̂ [T, D], r [T]      x̂ = (x − μ)·r, r = 1/√(σ² + ε)
//   DlthLayerNormGrad   g [T, D], x̂, r                → dx [T, D]           r·(g − mean(g) − x̂·mean(g·x̂))
//   DlthGelu            u [*]                         → u·(1 + erf(u))      (GELU with its √2 scalings folded out)
//   DlthGeluGrad        dy [*], u [*]                 → dy·(1 + erf(u) + u·(2/√π)·e^(−u²))
//   DlthAttention       qkv [B·N, 3D] (q pre-scaled)  → ctx [B·N, D], P [B·H, N, N]   P = softmax(q·kᵀ), ctx = P·v
//   DlthAttentionGrad   dctx [B·N, D], qkv, P, ctx    → dqkv [B·N, 3D]
//
// Built by scripts/native/build-ops.sh against the C API of the libtensorflow_framework that
// tfjs-node's binding loads, and Eigen from the same wheel (for vectorised exp and erf), with the
// build machine's instruction set (-march=native): TensorFlow's own CPU kernels in the wheel are
// built for AVX only. It is a Node-API module so that `process.dlopen` keeps it loaded; loading it
// registers the ops and kernels with TensorFlow, and it exports `ops` (their names), `isa`, `abi`,
// `threads` and `error` (why nothing was registered, or null).
//
// Every output element is computed by one thread in a fixed order, so results do not depend on the
// number of threads (TF_NUM_INTRAOP_THREADS, as TensorFlow's own pool; default: the CPUs of the
// process's affinity mask; DLTH_OPS_THREADS sets this pool alone).
#include <node_api.h>

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

// From tensorflow/c/kernels.h (the wheel's kernels.h includes headers outside the C API; these
// declarations are its stable C ABI).
typedef struct TF_KernelBuilder TF_KernelBuilder;
typedef struct TF_OpKernelConstruction TF_OpKernelConstruction;
typedef struct TF_OpKernelContext TF_OpKernelContext;
TF_KernelBuilder* TF_NewKernelBuilder(const char* op_name, const char* device_name,
                                      void* (*create_func)(TF_OpKernelConstruction*),
                                      void (*compute_func)(void*, TF_OpKernelContext*),
                                      void (*delete_func)(void*));
void TF_RegisterKernelBuilder(const char* kernel_name, TF_KernelBuilder* builder, TF_Status* status);
void TF_GetInput(TF_OpKernelContext* ctx, int i, TF_Tensor** tensor, TF_Status* status);
TF_Tensor* TF_AllocateOutput(TF_OpKernelContext* context, int index, TF_DataType dtype, const int64_t* dims,
                             int num_dims, size_t len, TF_Status* status);
void TF_OpKernelContext_Failure(TF_OpKernelContext* ctx, TF_Status* status);
void TF_OpKernelConstruction_GetAttrFloat(TF_OpKernelConstruction* ctx, const char* attr_name, float* val,
                                          TF_Status* status);
void TF_OpKernelConstruction_GetAttrInt32(TF_OpKernelConstruction* ctx, const char* attr_name, int32_t* val,
                                          TF_Status* status);
void TF_OpKernelConstruction_Failure(TF_OpKernelConstruction* ctx, TF_Status* status);
}

// The ops' interface (names, inputs, outputs, attributes): src/backend/native.ts refuses a library
// built from another one (a checkout updated without `npm run setup`). Bump both together.
#define DLTH_OPS_ABI 1

namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

// ---------------------------------------------------------------------------------------------
// A small persistent pool: parallel_for(n, fn) runs fn(begin, end) on contiguous chunks, the
// calling thread taking the first. Chunks depend only on n and the thread count.

// CPUs this process may run on (its affinity mask, as TensorFlow counts them for its pool).
int SchedulableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

class Pool {
 public:
  Pool() {
    const char* env = std::getenv("DLTH_OPS_THREADS");
    if (!env) env = std::getenv("TF_NUM_INTRAOP_THREADS");
    int n = env ? std::atoi(env) : 0;
    if (n <= 0) n = SchedulableCpus();
    threads_ = n;
    // Never destroyed (see pool()): the workers are detached and live as long as the process.
    for (int i = 1; i < n; ++i) std::thread([this, i] { Loop(i); }).detach();
  }
  int threads() const { return threads_; }

  // fn(begin, end) over [0, n); grain: the fewest items worth a thread of their own.
  void For(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    int64_t parts = std::min<int64_t>(threads_, std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
    if (parts <= 1) {
      fn(0, n);
      return;
    }
    std::unique_lock<std::mutex> run(run_mu_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      n_ = n;
      parts_ = parts;
      pending_ = static_cast<int>(parts - 1);
      ++generation_;
    }
    cv_.notify_all();
    fn(0, Chunk(0, n, parts).second);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  static std::pair<int64_t, int64_t> Chunk(int64_t i, int64_t n, int64_t parts) {
    return {n * i / parts, n * (i + 1) / parts};
  }
  void Loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t, int64_t)>* fn;
      int64_t n, parts;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (fn_ == nullptr || index >= parts_) continue;
        fn = fn_;
        n = n_;
        parts = parts_;
      }
      auto [b, e] = Chunk(index, n, parts);
      (*fn)(b, e);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  int threads_ = 1;
  std::mutex run_mu_, mu_;
  std::condition_variable cv_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, parts_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: TensorFlow may run kernels during exit
  return *p;
}

// ---------------------------------------------------------------------------------------------
// Kernel plumbing.

struct Attrs {
  float eps = 0;
  int32_t heads = 0;
  int32_t tokens = 0;
};

struct Status {
  TF_Status* s = TF_NewStatus();
  ~Status() { TF_DeleteStatus(s); }
  bool ok() const { return TF_GetCode(s) == TF_OK; }
};

// Inputs and outputs of one Compute call; tensors are released at the end.
class Io {
 public:
  explicit Io(TF_OpKernelContext* ctx) : ctx_(ctx) {}
  ~Io() {
    for (TF_Tensor* t : held_) TF_DeleteTensor(t);
  }
  bool ok() const { return !failed_; }

  TF_Tensor* In(int i) {
    if (failed_) return nullptr;
    TF_Tensor* t = nullptr;
    TF_GetInput(ctx_, i, &t, st_.s);
    if (!st_.ok()) return Fail();
    held_.push_back(t);
    return t;
  }
  TF_Tensor* Out(int i, std::vector<int64_t> dims) {
    if (failed_) return nullptr;
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    TF_Tensor* t = TF_AllocateOutput(ctx_, i, TF_FLOAT, dims.data(), static_cast<int>(dims.size()),
                                     static_cast<size_t>(count) * sizeof(float), st_.s);
    if (!st_.ok()) return Fail();
    held_.push_back(t);
    return t;
  }
  // Refuses a tensor that is not float32 of the given rank.
  bool Check(TF_Tensor* t, int rank, const char* what) {
    if (failed_) return false;
    if (TF_TensorType(t) != TF_FLOAT || (rank >= 0 && TF_NumDims(t) != rank)) {
      std::string m = std::string(what) + ": expected a float32 tensor" + (rank >= 0 ? " of rank " + std::to_string(rank) : "");
      Error(m);
      return false;
    }
    return true;
  }
  void Error(const std::string& message) {
    if (failed_) return;
    TF_SetStatus(st_.s, TF_INVALID_ARGUMENT, message.c_str());
    Fail();
  }

 private:
  TF_Tensor* Fail() {
    if (!failed_) TF_OpKernelContext_Failure(ctx_, st_.s);
    failed_ = true;
    return nullptr;
  }
  TF_OpKernelContext* ctx_;
  Status st_;
  std::vector<TF_Tensor*> held_;
  bool failed_ = false;
};

inline float* F(TF_Tensor* t) { return static_cast<float*>(TF_TensorData(t)); }
inline std::vector<int64_t> DimsOf(TF_Tensor* t) {
  std::vector<int64_t> dims(TF_NumDims(t));
  for (size_t i = 0; i < dims.size(); ++i) dims[i] = TF_Dim(t, static_cast<int>(i));
  return dims;
}
inline int64_t Elements(TF_Tensor* t) { return TF_TensorElementCount(t); }

// ---------------------------------------------------------------------------------------------
// LayerNorm without its affine part (γ, β are folded into the next dense layer by the caller).

void LayerNorm(void* k, TF_OpKernelContext* ctx) {
  const float eps = static_cast<Attrs*>(k)->eps;
  Io io(ctx);
  TF_Tensor* x = io.In(0);
  if (!io.Check(x, 2, "DlthLayerNorm x")) return;
  const int64_t t = TF_Dim(x, 0), d = TF_Dim(x, 1);
  TF_Tensor* y = io.Out(0, {t, d});
  TF_Tensor* r = io.Out(1, {t});
  if (!io.ok()) return;
  const float* px = F(x);
  float* py = F(y);
  float* pr = F(r);
  pool().For(t, 64, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      ConstArrayMap row(px + i * d, d);
      const float mean = row.sum() / static_cast<float>(d);
      ArrayMap out(py + i * d, d);
      out = row - mean;
      const float var = out.square().sum() / static_cast<float>(d);
      const float rs = 1.0f / std::sqrt(var + eps);
      out *= rs;
      pr[i] = rs;
    }
  });
}

void LayerNormGrad(void*, TF_OpKernelContext* ctx) {
  Io io(ctx);
  TF_Tensor* g = io.In(0);
  TF_Tensor* xh = io.In(1);
  TF_Tensor* r = io.In(2);
  if (!io.Check(g, 2, "DlthLayerNormGrad dy") || !io.Check(xh, 2, "DlthLayerNormGrad xhat") || !io.Check(r, 1, "DlthLayerNormGrad rstd")) return;
  const int64_t t = TF_Dim(g, 0), d = TF_Dim(g, 1);
  if (TF_Dim(xh, 0) != t || TF_Dim(xh, 1) != d || TF_Dim(r, 0) != t) return io.Error("DlthLayerNormGrad: dy, xhat and rstd disagree in shape");
  TF_Tensor* dx = io.Out(0, {t, d});
  if (!io.ok()) return;
  const float *pg = F(g), *px = F(xh), *pr = F(r);
  float* pd = F(dx);
  pool().For(t, 64, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      ConstArrayMap gi(pg + i * d, d), xi(px + i * d, d);
      const float mg = gi.sum() / static_cast<float>(d);
      const float mgx = (gi * xi).sum() / static_cast<float>(d);
      ArrayMap(pd + i * d, d) = (gi - mg - xi * mgx) * pr[i];
    }
  });
}

// ---------------------------------------------------------------------------------------------
// GELU, folded: u·(1 + erf(u)) = √2·GELU(√2·u).

constexpr int64_t kBlock = 4096;  // elements per task of the element-wise kernels

void Gelu(void*, TF_OpKernelContext* ctx) {
  Io io(ctx);
  TF_Tensor* u = io.In(0);
  if (!io.Check(u, -1, "DlthGelu u")) return;
  TF_Tensor* y = io.Out(0, DimsOf(u));
  if (!io.ok()) return;
  const int64_t n = Elements(u);
  const float* pu = F(u);
  float* py = F(y);
  pool().For((n + kBlock - 1) / kBlock, 4, [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t s = blk * kBlock, len = std::min(kBlock, n - s);
      ConstArrayMap x(pu + s, len);
      ArrayMap(py + s, len) = x * (x.erf() + 1.0f);
    }
  });
}

void GeluGrad(void*, TF_OpKernelContext* ctx) {
  Io io(ctx);
  TF_Tensor* dy = io.In(0);
  TF_Tensor* u = io.In(1);
  if (!io.Check(dy, -1, "DlthGeluGrad dy") || !io.Check(u, -1, "DlthGeluGrad u")) return;
  const int64_t n = Elements(u);
  if (Elements(dy) != n) return io.Error("DlthGeluGrad: dy and u differ in size");
  TF_Tensor* dx = io.Out(0, DimsOf(u));
  if (!io.ok()) return;
  const float *pdy = F(dy), *pu = F(u);
  float* pd = F(dx);
  const float c = 2.0f / std::sqrt(static_cast<float>(M_PI));
  pool().For((n + kBlock - 1) / kBlock, 4, [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t s = blk * kBlock, len = std::min(kBlock, n - s);
      ConstArrayMap x(pu + s, len), g(pdy + s, len);
      ArrayMap(pd + s, len) = g * (x.erf() + 1.0f + x * c * (-x.square()).exp());
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Attention on fused qkv rows: row b·N + i holds [q | k | v], head h at columns h·hd … (h+1)·hd of
// each third (timm's qkv reshape [B, N, 3, H, hd]). One (sample, head) pair per task; its q, k, v
// are gathered into contiguous [N, hd] blocks first.

struct Dims {
  int64_t b, n, h, hd, d;
};

bool AttentionDims(Io& io, TF_Tensor* qkv, const Attrs& a, Dims* out) {
  const int64_t rows = TF_Dim(qkv, 0), cols = TF_Dim(qkv, 1);
  if (a.heads <= 0 || a.tokens <= 0 || cols % 3 != 0 || (cols / 3) % a.heads != 0 || rows % a.tokens != 0) {
    io.Error("DlthAttention: qkv [" + std::to_string(rows) + ", " + std::to_string(cols) + "] does not split into " +
             std::to_string(a.heads) + " heads of " + std::to_string(a.tokens) + " tokens");
    return false;
  }
  const int64_t d = cols / 3;
  *out = {rows / a.tokens, a.tokens, a.heads, d / a.heads, d};
  return true;
}

// Local blocks are padded to whole lanes of L floats (zeros beyond n tokens and hd features), so
// every inner loop runs over a fixed L and vectorises without remainders.
constexpr int64_t L = 16;
inline int64_t Pad(int64_t x) { return (x + L - 1) / L * L; }

// Per-thread buffers for one (sample, head) pair, with np = Pad(n), hp = Pad(hd).
struct Scratch {
  int64_t n, np, hd, hp;
  std::vector<float> mem;
  float *q, *k, *v, *kt, *vt, *s, *c, *dc, *dq, *dk, *dv, *delta;
  Scratch(int64_t n_, int64_t hd_) : n(n_), np(Pad(n_)), hd(hd_), hp(Pad(hd_)) {
    const int64_t rows = np * hp, cols = hp * np;
    mem.assign(8 * rows + 2 * cols + np * np + np, 0.0f);
    float* p = mem.data();
    for (float** b : {&q, &k, &v, &c, &dc, &dq, &dk, &dv}) {
      *b = p;
      p += rows;
    }
    kt = p;
    vt = p + cols;
    s = p + 2 * cols;
    delta = s + np * np;
  }
  // Rows s·n … s·n + n − 1 of src (row stride `stride`), columns col … col + hd − 1, into dst [n, hp]
  // (padding columns stay zero: nothing ever writes them).
  void Rows(const float* src, int64_t stride, int64_t col, int64_t sample, float* dst) const {
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * hp, src + (sample * n + i) * stride + col, hd * sizeof(float));
  }
  // The same block transposed into dst [hp, np].
  void Cols(const float* src, int64_t stride, int64_t col, int64_t sample, float* dst) const {
    for (int64_t i = 0; i < n; ++i) {
      const float* r = src + (sample * n + i) * stride + col;
      for (int64_t d = 0; d < hd; ++d) dst[d * np + i] = r[d];
    }
  }
  void Out(const float* block, int64_t stride, int64_t col, int64_t sample, float* dst) const {
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + (sample * n + i) * stride + col, block + i * hp, hd * sizeof(float));
  }
};

// L floats as one value (GCC/Clang vector extension: one AVX-512 register, two AVX ones, …);
// loads and stores need only float alignment.
typedef float V __attribute__((vector_size(L * sizeof(float)), aligned(alignof(float))));
inline V Load(const float* p) { return *reinterpret_cast<const V*>(p); }
inline void Store(float* p, V v) { *reinterpret_cast<V*>(p) = v; }
inline V Splat(float x) { return V{} + x; }
inline float Sum(V v) {
  float s = 0.0f;
  for (int64_t l = 0; l < L; ++l) s += v[l];
  return s;
}
inline float Max(V v) {
  float m = v[0];
  for (int64_t l = 1; l < L; ++l) m = v[l] > m ? v[l] : m;
  return m;
}

// e^x per lane, as Eigen's pexp_float: x = k·ln 2 + r (|r| ≤ ln 2 / 2), e^r by a degree-7
// polynomial, 2^k put into the exponent bits. Below −87 it is 0 (e^−87 ≈ 1.6e−38, the edge of
// float's normal range; so −∞ gives 0), and x is capped at 88 (2^k must stay a normal float).
inline V Exp(V x) {
  typedef int32_t VI __attribute__((vector_size(L * sizeof(float))));
  const V lo = Splat(-87.0f), hi = Splat(88.0f);
  const V under = x < lo ? Splat(1.0f) : Splat(0.0f);  // masks as floats: 1 where x underflows
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  V k = x * 1.44269504088896341f;
  // round to nearest (ties away from zero): floor(k + 0.5)
  V kf = k + 0.5f;
  VI ki = __builtin_convertvector(kf, VI);
  V kr = __builtin_convertvector(ki, V);
  kr = kr > kf ? kr - 1.0f : kr;
  ki = __builtin_convertvector(kr, VI);
  V r = x - kr * 0.693359375f;
  r = r - kr * -2.12194440e-4f;
  V y = Splat(1.9875691500E-4f);
  y = y * r + 1.3981999507E-3f;
  y = y * r + 8.3334519073E-3f;
  y = y * r + 4.1665795894E-2f;
  y = y * r + 1.6666665459E-1f;
  y = y * r + 5.0000001201E-1f;
  y = y * (r * r) + r + 1.0f;
  VI bits = (ki + 127) << 23;
  V scale;
  std::memcpy(&scale, &bits, sizeof scale);
  y = y * scale;
  return under > 0.0f ? Splat(0.0f) : y;
}

// out[i, :w] = Σ_{j < m} a[i, j]·b[j, :w] for i < n (a's row stride lda; b's and out's w, a multiple
// of L). Four rows at a time, each lane of L outputs summed in a register over j (four independent
// chains, one load of b's lane for all four).
inline void RowsTimes(const float* a, int64_t lda, const float* b, float* out, int64_t n, int64_t m, int64_t w) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float *a0 = a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    for (int64_t c = 0; c < w; c += L) {
      V s0{}, s1{}, s2{}, s3{};
      for (int64_t j = 0; j < m; ++j) {
        const V bj = Load(b + j * w + c);
        s0 += a0[j] * bj;
        s1 += a1[j] * bj;
        s2 += a2[j] * bj;
        s3 += a3[j] * bj;
      }
      Store(out + i * w + c, s0);
      Store(out + (i + 1) * w + c, s1);
      Store(out + (i + 2) * w + c, s2);
      Store(out + (i + 3) * w + c, s3);
    }
  }
  for (; i < n; ++i) {
    const float* ai = a + i * lda;
    for (int64_t c = 0; c < w; c += L) {
      V acc{};
      for (int64_t j = 0; j < m; ++j) acc += ai[j] * Load(b + j * w + c);
      Store(out + i * w + c, acc);
    }
  }
}
// out[j, :w] = Σ_{i < n} a[i, j]·b[i, :w] for j < m (aᵀ·b), four output rows at a time.
inline void ColsTimes(const float* a, int64_t lda, const float* b, float* out, int64_t n, int64_t m, int64_t w) {
  int64_t j = 0;
  for (; j + 4 <= m; j += 4) {
    for (int64_t c = 0; c < w; c += L) {
      V s0{}, s1{}, s2{}, s3{};
      for (int64_t i = 0; i < n; ++i) {
        const V bi = Load(b + i * w + c);
        const float* ai = a + i * lda + j;
        s0 += ai[0] * bi;
        s1 += ai[1] * bi;
        s2 += ai[2] * bi;
        s3 += ai[3] * bi;
      }
      Store(out + j * w + c, s0);
      Store(out + (j + 1) * w + c, s1);
      Store(out + (j + 2) * w + c, s2);
      Store(out + (j + 3) * w + c, s3);
    }
  }
  for (; j < m; ++j) {
    for (int64_t c = 0; c < w; c += L) {
      V acc{};
      for (int64_t i = 0; i < n; ++i) acc += a[i * lda + j] * Load(b + i * w + c);
      Store(out + j * w + c, acc);
    }
  }
}

// fn(scratch, pair, sample, first column of the head) for every (sample, head) pair, pairs split
// among the pool's threads, one Scratch per thread.
template <typename Fn>
void ForEachHead(const Dims& m, Fn fn) {
  pool().For(m.b * m.h, 16, [&](int64_t begin, int64_t end) {
    Scratch w(m.n, m.hd);
    for (int64_t bh = begin; bh < end; ++bh) fn(w, bh, bh / m.h, (bh % m.h) * m.hd);
  });
}

void Attention(void* k, TF_OpKernelContext* ctx) {
  const Attrs& a = *static_cast<Attrs*>(k);
  Io io(ctx);
  TF_Tensor* qkv = io.In(0);
  if (!io.Check(qkv, 2, "DlthAttention qkv")) return;
  Dims m;
  if (!AttentionDims(io, qkv, a, &m)) return;
  TF_Tensor* ctxo = io.Out(0, {m.b * m.n, m.d});
  TF_Tensor* probs = io.Out(1, {m.b * m.h, m.n, m.n});
  if (!io.ok()) return;
  const float* pq = F(qkv);
  float *pc = F(ctxo), *pp = F(probs);
  const int64_t stride = 3 * m.d;
  ForEachHead(m, [&](Scratch& w, int64_t bh, int64_t smp, int64_t col) {
    const int64_t n = m.n, np = w.np, hp = w.hp;
    w.Rows(pq, stride, col, smp, w.q);
    w.Cols(pq, stride, m.d + col, smp, w.kt);
    w.Rows(pq, stride, 2 * m.d + col, smp, w.v);
    RowsTimes(w.q, hp, w.kt, w.s, n, m.hd, np);  // S = q·kᵀ, [n, np]
    float* p = pp + bh * n * n;
    for (int64_t i = 0; i < n; ++i) {
      // The whole padded row, its padding at −∞ (so e^… = 0 there): no scalar remainder.
      float* si = w.s + i * np;
      std::fill(si + n, si + np, -std::numeric_limits<float>::infinity());
      V mx = Load(si);
      for (int64_t c = L; c < np; c += L) {
        const V x = Load(si + c);
        mx = x > mx ? x : mx;
      }
      const float top = Max(mx);
      V sum{};
      for (int64_t c = 0; c < np; c += L) {
        const V e = Exp(Load(si + c) - top);
        Store(si + c, e);
        sum += e;
      }
      const float inv = 1.0f / Sum(sum);
      for (int64_t c = 0; c < np; c += L) Store(si + c, Load(si + c) * inv);
      std::memcpy(p + i * n, si, n * sizeof(float));
    }
    RowsTimes(w.s, np, w.v, w.c, n, n, hp);  // ctx = P·v
    w.Out(w.c, m.d, col, smp, pc);
  });
}

// dV = Pᵀ·dC, dP = dC·Vᵀ, dS = P ⊙ (dP − Σ_row dC⊙C), dQ = dS·K, dK = dSᵀ·Q.
void AttentionGrad(void* k, TF_OpKernelContext* ctx) {
  const Attrs& a = *static_cast<Attrs*>(k);
  Io io(ctx);
  TF_Tensor* dy = io.In(0);
  TF_Tensor* qkv = io.In(1);
  TF_Tensor* probs = io.In(2);
  TF_Tensor* ctxi = io.In(3);
  if (!io.Check(dy, 2, "DlthAttentionGrad dy") || !io.Check(qkv, 2, "DlthAttentionGrad qkv") ||
      !io.Check(probs, 3, "DlthAttentionGrad probs") || !io.Check(ctxi, 2, "DlthAttentionGrad ctx"))
    return;
  Dims m;
  if (!AttentionDims(io, qkv, a, &m)) return;
  if (Elements(dy) != m.b * m.n * m.d || Elements(ctxi) != m.b * m.n * m.d || Elements(probs) != m.b * m.h * m.n * m.n)
    return io.Error("DlthAttentionGrad: dy, probs and ctx do not match qkv");
  TF_Tensor* dqkv = io.Out(0, {m.b * m.n, 3 * m.d});
  if (!io.ok()) return;
  const float *pdy = F(dy), *pq = F(qkv), *pp = F(probs), *pc = F(ctxi);
  float* pd = F(dqkv);
  const int64_t stride = 3 * m.d;
  ForEachHead(m, [&](Scratch& w, int64_t bh, int64_t smp, int64_t col) {
    const int64_t n = m.n, np = w.np, hp = w.hp;
    w.Rows(pq, stride, col, smp, w.q);
    w.Rows(pq, stride, m.d + col, smp, w.k);
    w.Cols(pq, stride, 2 * m.d + col, smp, w.vt);
    w.Rows(pdy, m.d, col, smp, w.dc);
    w.Rows(pc, m.d, col, smp, w.c);
    const float* p = pp + bh * n * n;
    ColsTimes(p, n, w.dc, w.dv, n, n, hp);       // dV = Pᵀ·dC
    RowsTimes(w.dc, hp, w.vt, w.s, n, m.hd, np);  // dP = dC·Vᵀ, [n, np]
    for (int64_t i = 0; i < n; ++i) {
      V acc{};
      for (int64_t t = 0; t < hp; t += L) acc += Load(w.dc + i * hp + t) * Load(w.c + i * hp + t);
      w.delta[i] = Sum(acc);
    }
    for (int64_t i = 0; i < n; ++i) {
      float* si = w.s + i * np;
      for (int64_t j = 0; j < n; ++j) si[j] = p[i * n + j] * (si[j] - w.delta[i]);
    }
    RowsTimes(w.s, np, w.k, w.dq, n, n, hp);  // dQ = dS·K
    ColsTimes(w.s, np, w.q, w.dk, n, n, hp);  // dK = dSᵀ·Q
    w.Out(w.dq, stride, col, smp, pd);
    w.Out(w.dk, stride, m.d + col, smp, pd);
    w.Out(w.dv, stride, 2 * m.d + col, smp, pd);
  });
}

// ---------------------------------------------------------------------------------------------
// Registration.

void* CreateAttrs(TF_OpKernelConstruction* c, bool eps, bool attention) {
  auto* a = new Attrs();
  Status st;
  if (eps) TF_OpKernelConstruction_GetAttrFloat(c, "eps", &a->eps, st.s);
  if (st.ok() && attention) TF_OpKernelConstruction_GetAttrInt32(c, "heads", &a->heads, st.s);
  if (st.ok() && attention) TF_OpKernelConstruction_GetAttrInt32(c, "tokens", &a->tokens, st.s);
  if (!st.ok()) TF_OpKernelConstruction_Failure(c, st.s);
  return a;
}
void* CreatePlain(TF_OpKernelConstruction* c) { return CreateAttrs(c, false, false); }
void* CreateEps(TF_OpKernelConstruction* c) { return CreateAttrs(c, true, false); }
void* CreateAttention(TF_OpKernelConstruction* c) { return CreateAttrs(c, false, true); }
void DeleteAttrs(void* k) { delete static_cast<Attrs*>(k); }

void UnknownShape(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeInferenceContextSetUnknownShape(ctx, status);
}

struct OpSpec {
  const char* name;
  std::vector<const char*> inputs, outputs, attrs;
  void* (*create)(TF_OpKernelConstruction*);
  void (*compute)(void*, TF_OpKernelContext*);
};

std::string registered_error;  // empty when every op registered
std::vector<std::string> registered_ops;

void RegisterAll() {
  static bool done = false;
  if (done) return;
  done = true;
  const std::vector<OpSpec> specs = {
      {"DlthLayerNorm", {"x: float"}, {"y: float", "rstd: float"}, {"eps: float"}, CreateEps, LayerNorm},
      {"DlthLayerNormGrad", {"dy: float", "xhat: float", "rstd: float"}, {"dx: float"}, {}, CreatePlain, LayerNormGrad},
      {"DlthGelu", {"u: float"}, {"y: float"}, {}, CreatePlain, Gelu},
      {"DlthGeluGrad", {"dy: float", "u: float"}, {"dx: float"}, {}, CreatePlain, GeluGrad},
      {"DlthAttention", {"qkv: float"}, {"ctx: float", "probs: float"}, {"heads: int", "tokens: int"}, CreateAttention, Attention},
      {"DlthAttentionGrad", {"dy: float", "qkv: float", "probs: float", "ctx: float"}, {"dqkv: float"}, {"heads: int", "tokens: int"},
       CreateAttention, AttentionGrad},
  };
  Status st;
  for (const OpSpec& s : specs) {
    TF_OpDefinitionBuilder* b = TF_NewOpDefinitionBuilder(s.name);
    for (const char* i : s.inputs) TF_OpDefinitionBuilderAddInput(b, i);
    for (const char* o : s.outputs) TF_OpDefinitionBuilderAddOutput(b, o);
    for (const char* at : s.attrs) TF_OpDefinitionBuilderAddAttr(b, at);
    TF_OpDefinitionBuilderSetShapeInferenceFunction(b, &UnknownShape);
    TF_RegisterOpDefinition(b, st.s);
    if (!st.ok()) {
      registered_error = std::string(s.name) + ": " + TF_Message(st.s);
      return;
    }
    TF_KernelBuilder* kb = TF_NewKernelBuilder(s.name, "CPU", s.create, s.compute, DeleteAttrs);
    TF_RegisterKernelBuilder(s.name, kb, st.s);
    if (!st.ok()) {
      registered_error = std::string(s.name) + " kernel: " + TF_Message(st.s);
      return;
    }
    registered_ops.emplace_back(s.name);
  }
}

std::string Isa() {
  std::string isa;
#ifdef __AVX512F__
  isa += "avx512f ";
#endif
#ifdef __AVX2__
  isa += "avx2 ";
#endif
#ifdef __FMA__
  isa += "fma ";
#endif
#ifdef __AVX__
  isa += "avx ";
#endif
  isa += "sse2";
  return isa;
}

// Whether this CPU has what the library was compiled for (it may have been built on another one).
bool CpuSupports() {
  __builtin_cpu_init();
#ifdef __AVX512F__
  if (!__builtin_cpu_supports("avx512f")) return false;
#endif
#ifdef __AVX2__
  if (!__builtin_cpu_supports("avx2")) return false;
#endif
#ifdef __FMA__
  if (!__builtin_cpu_supports("fma")) return false;
#endif
#ifdef __AVX__
  if (!__builtin_cpu_supports("avx")) return false;
#endif
  return true;
}

napi_value Str(napi_env env, const std::string& s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  // Nothing is registered on a CPU without the instructions the library was compiled for.
  const bool cpu_ok = CpuSupports();
  if (cpu_ok) RegisterAll();
  napi_value ops;
  napi_create_array_with_length(env, registered_ops.size(), &ops);
  for (size_t i = 0; i < registered_ops.size(); ++i) napi_set_element(env, ops, static_cast<uint32_t>(i), Str(env, registered_ops[i]));
  napi_set_named_property(env, exports, "ops", ops);
  napi_set_named_property(env, exports, "isa", Str(env, Isa()));
  napi_value abi;
  napi_create_int32(env, DLTH_OPS_ABI, &abi);
  napi_set_named_property(env, exports, "abi", abi);
  const std::string error = !cpu_ok ? "this CPU lacks instructions the library was built with (" + Isa() + "); rebuild it here (npm run setup)" : registered_error;
  napi_value err;
  if (error.empty()) napi_get_null(env, &err);
  else err = Str(env, error);
  napi_set_named_property(env, exports, "error", err);
  napi_value threads;
  napi_create_int32(env, cpu_ok ? pool().threads() : 0, &threads);
  napi_set_named_property(env, exports, "threads", threads);
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }
