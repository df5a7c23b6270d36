/* The epoch order's hot loops in C: the sfc32 generator, its bounded draws with rejection, and
 * Fisher–Yates shuffles of windows, one draw and one swap at a time, exactly as src/loader/rng.ts
 * (and python/dlth/rng.py, the pure fallback) compute them. An optional extension of the dlth
 * package (python/setup.py): dlth.rng uses it when it is built, unless DLTH_PURE_PYTHON=1.
 *
 * Every function takes the generator's state as a tuple (a, b, c, d) of integers in [0, 2^32)
 * and returns the state after its draws; arrays are passed as C-contiguous buffers (numpy arrays)
 * of the stated item type and are checked (type, size, bounds) before anything is written. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint32_t a, b, c, d;
} sfc32;

static inline uint32_t sfc32_next(sfc32 *r) {
    uint32_t t = r->a + r->b + r->d;
    r->d += 1;
    r->a = r->b ^ (r->b >> 9);
    r->b = r->c + (r->c << 3);
    r->c = ((r->c << 21) | (r->c >> 11)) + t;
    return t;
}

/* A uniform integer in [0, n), 1 ≤ n ≤ 2^32, without modulo bias: outputs at or above
 * 2^32 − (2^32 mod n) are rejected. Only x > 2^32 − n can be rejected, so the second modulo is
 * computed for those alone. */
static inline uint64_t sfc32_below(sfc32 *r, uint64_t n) {
    const uint64_t span = (uint64_t)1 << 32;
    for (;;) {
        uint64_t x = sfc32_next(r);
        if (x + n <= span || x < span - span % n) return n == span ? x : (uint32_t)x % (uint32_t)n;
    }
}

static int get_state(PyObject *tuple, sfc32 *r) {
    uint32_t v[4];
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != 4) {
        PyErr_SetString(PyExc_TypeError, "the generator state must be a tuple (a, b, c, d)");
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        unsigned long long x = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(tuple, i));
        if (PyErr_Occurred()) return -1;
        if (x > 0xFFFFFFFFull) {
            PyErr_SetString(PyExc_ValueError, "the generator state must be four integers in [0, 2^32)");
            return -1;
        }
        v[i] = (uint32_t)x;
    }
    r->a = v[0], r->b = v[1], r->c = v[2], r->d = v[3];
    return 0;
}

static PyObject *state_tuple(const sfc32 *r) {
    return Py_BuildValue("(kkkk)", (unsigned long)r->a, (unsigned long)r->b, (unsigned long)r->c, (unsigned long)r->d);
}

/* A C-contiguous buffer of items of `size` bytes whose format is one of `formats` (with an optional
 * native byte-order prefix). */
static int get_array(PyObject *obj, Py_buffer *view, Py_ssize_t size, const char *formats, int writable, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    const char *f = view->format ? view->format : "B";
    if (*f == '@' || *f == '=') f++;
    if (view->ndim != 1 || view->itemsize != size || strlen(f) != 1 || !strchr(formats, *f)) {
        PyErr_Format(PyExc_TypeError, "%s must be a one-dimensional array of %zd-byte integers", what, size);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#define INT64 "lq"
#define UINT32 "IL"

static PyObject *order_fill(PyObject *self, PyObject *args) {
    PyObject *st, *arr;
    sfc32 r;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "OO:fill", &st, &arr) || get_state(st, &r) < 0) return NULL;
    if (get_array(arr, &out, 4, UINT32, 1, "fill: out") < 0) return NULL;
    uint32_t *x = out.buf;
    Py_ssize_t n = out.shape[0];
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) x[i] = sfc32_next(&r);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&out);
    return state_tuple(&r);
}

static PyObject *order_below_many(PyObject *self, PyObject *args) {
    PyObject *st, *nsobj, *outobj;
    sfc32 r;
    Py_buffer ns, out;
    if (!PyArg_ParseTuple(args, "OOO:below_many", &st, &nsobj, &outobj) || get_state(st, &r) < 0) return NULL;
    if (get_array(nsobj, &ns, 8, INT64, 0, "below_many: ns") < 0) return NULL;
    if (get_array(outobj, &out, 8, INT64, 1, "below_many: out") < 0) {
        PyBuffer_Release(&ns);
        return NULL;
    }
    const int64_t *n = ns.buf;
    int64_t *x = out.buf;
    Py_ssize_t len = ns.shape[0];
    PyObject *result = NULL;
    if (out.shape[0] != len) {
        PyErr_SetString(PyExc_ValueError, "below_many: out must be as long as ns");
        goto done;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        if (n[i] < 1 || n[i] > ((int64_t)1 << 32)) {
            PyErr_SetString(PyExc_ValueError, "below: every bound must be in [1, 2^32]");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < len; i++) x[i] = (int64_t)sfc32_below(&r, (uint64_t)n[i]);
    Py_END_ALLOW_THREADS
    result = state_tuple(&r);
done:
    PyBuffer_Release(&ns);
    PyBuffer_Release(&out);
    return result;
}

/* Fisher–Yates of each window [bounds[w], bounds[w + 1]) of `data`, window after window:
 * for i from the window's end − 1 down to its start + 1, swap data[i] with data[start + below(i − start + 1)]. */
static PyObject *order_shuffle_windows(PyObject *self, PyObject *args) {
    PyObject *st, *dataobj, *boundsobj;
    sfc32 r;
    Py_buffer data, bounds;
    if (!PyArg_ParseTuple(args, "OOO:shuffle_windows", &st, &dataobj, &boundsobj) || get_state(st, &r) < 0) return NULL;
    if (get_array(dataobj, &data, 8, INT64, 1, "shuffle_windows: data") < 0) return NULL;
    if (get_array(boundsobj, &bounds, 8, INT64, 0, "shuffle_windows: bounds") < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    int64_t *a = data.buf;
    const int64_t *b = bounds.buf;
    Py_ssize_t nb = bounds.shape[0];
    PyObject *result = NULL;
    for (Py_ssize_t w = 0; w < nb; w++) {
        if (b[w] < (w ? b[w - 1] : 0) || b[w] > (int64_t)data.shape[0] || (w && b[w] - b[w - 1] > ((int64_t)1 << 32))) {
            PyErr_SetString(PyExc_ValueError, "shuffle_windows: bounds must be non-decreasing within [0, len(data)], windows at most 2^32 long");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t w = 0; w + 1 < nb; w++) {
        int64_t start = b[w];
        for (int64_t i = b[w + 1] - 1; i > start; i--) {
            int64_t j = start + (int64_t)sfc32_below(&r, (uint64_t)(i - start + 1));
            int64_t t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
    Py_END_ALLOW_THREADS
    result = state_tuple(&r);
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&bounds);
    return result;
}

static PyMethodDef methods[] = {
    {"fill", order_fill, METH_VARARGS,
     "fill(state, out) -> state: the generator's next len(out) outputs into out (uint32)."},
    {"below_many", order_below_many, METH_VARARGS,
     "below_many(state, ns, out) -> state: out[i] = below(ns[i]) in turn (int64, bounds in [1, 2^32])."},
    {"shuffle_windows", order_shuffle_windows, METH_VARARGS,
     "shuffle_windows(state, data, bounds) -> state: Fisher-Yates of each window of data in place (int64)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "dlth._order", "The epoch order's hot loops in C.", -1, methods};

PyMODINIT_FUNC PyInit__order(void) { return PyModule_Create(&module); }
