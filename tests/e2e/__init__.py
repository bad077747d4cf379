"""Browser tests: the real app in a real Chromium (benchmarks/browser.py: the helpers they share
with the benchmarks)."""
