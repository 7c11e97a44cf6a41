// ink decides at import time whether it runs in CI (then it paints only the last
// frame). These tests drive the live renderer frame by frame, so they clear CI
// before ink loads: import this module first.
delete process.env.CI
