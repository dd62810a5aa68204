"""Time to load the 8x8 digits in a fresh process: read from scikit-learn's data file (what
``tinyemu train`` does) vs ``sklearn.datasets.load_digits`` (which imports scikit-learn).

Run: ``python benchmarks/bench_digits_load.py``; prints the median of 3 fresh processes for each.
"""

import statistics
import subprocess
import sys

CASES = {
    "workloads.datasets.digits_arrays (no sklearn import)": (
        "from workloads.datasets import digits_arrays; digits_arrays()"
    ),
    "sklearn.datasets.load_digits": "from sklearn.datasets import load_digits; load_digits()",
}


def fresh_seconds(code: str) -> float:
    timed = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", timed], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    for name, code in CASES.items():
        times = [fresh_seconds(code) for _ in range(3)]
        print(f"{name}: {statistics.median(times):.3f} s (median of 3 fresh processes)")


if __name__ == "__main__":
    main()
