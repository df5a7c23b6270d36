"""What the Python benchmarks say of the machine they ran on (ratios differ between CPUs)."""
import platform
import subprocess


def cpu() -> str:
    """The CPU model and count from lscpu, else what platform knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        return f"{info.get('Model name', '?').strip()}, {info.get('CPU(s)', '?').strip()} CPU(s)"
    except OSError:
        return platform.processor() or "unknown CPU"
