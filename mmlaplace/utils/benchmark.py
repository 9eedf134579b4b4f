"""Timing and reporting helpers shared by ``tools/benchmark_speed.py`` and
``tools/benchmark_train.py``: warm-up, median of repeats, JSON + markdown output.
"""
import json
import os
import os.path as osp
import platform
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch


def time_call(fn: Callable[[], object], warmup: int = 5, repeats: int = 7,
              min_block_s: float = 0.3, max_calls_per_block: int = 1000) -> Dict[str, float]:
    """Median wall time of ``fn()`` over ``repeats`` blocks, after ``warmup`` calls.

    Each block calls ``fn`` as many times as needed to last at least ``min_block_s`` (so fast
    calls are not dominated by the timer's resolution) and records the mean time per call;
    the result is the median over blocks, which is robust to the occasional slow block of a
    shared machine.

    Args:
        fn: The call to time (it must be synchronous).
        warmup: Calls before timing (allocator, oneDNN primitive caches, lazy init).
        repeats: Number of timed blocks.
        min_block_s: Minimum duration of one block in seconds.
        max_calls_per_block: Upper bound of calls in one block.

    Returns:
        dict: ``median_s``, ``min_s``, ``max_s`` (seconds per call over blocks) and ``calls``
        (calls per block).

    Example:
        >>> t = time_call(lambda: sum(range(100)), warmup=1, repeats=3, min_block_s=0.01)
        >>> t['median_s'] > 0
        True
    """
    if repeats < 1:
        raise ValueError(f'time_call: repeats must be >= 1, got {repeats}')
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    calls = int(min(max_calls_per_block, max(1, round(min_block_s / once))))
    per_call: List[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        per_call.append((time.perf_counter() - start) / calls)
    return dict(median_s=statistics.median(per_call), min_s=min(per_call),
                max_s=max(per_call), calls=calls)


def machine_info(threads: Optional[int] = None) -> Dict[str, object]:
    """What the numbers were measured on: CPU model, cores, threads, library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), torch_threads=threads or torch.get_num_threads(),
                torch=torch.__version__, python=platform.python_version(),
                date=time.strftime('%Y-%m-%d %H:%M:%S'))


def markdown_table(rows: Sequence[Dict[str, object]], columns: Sequence[str],
                   headers: Optional[Sequence[str]] = None) -> str:
    """Format ``rows`` (dicts) as a markdown table of ``columns``; floats get 2-4 digits.

    Example:
        >>> print(markdown_table([dict(a=1.23456, b='x')], ['a', 'b']))
        | a | b |
        |---|---|
        | 1.235 | x |
    """

    def fmt(value: object) -> str:
        if value is None:
            return '-'
        if isinstance(value, bool):
            return 'yes' if value else 'no'
        if isinstance(value, float):
            return f'{value:.2f}' if abs(value) >= 100 else f'{value:.4g}'
        return str(value)

    headers = list(headers or columns)
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '---|' * len(headers)]
    lines += ['| ' + ' | '.join(fmt(row.get(c)) for c in columns) + ' |' for row in rows]
    return '\n'.join(lines)


def write_report(out_dir: str, name: str, payload: Dict[str, object], table: str) -> None:
    """Write ``{name}.json`` and ``{name}.md`` into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, f'{name}.json'), 'w') as f:
        json.dump(payload, f, indent=2)
    with open(osp.join(out_dir, f'{name}.md'), 'w') as f:
        f.write(table + '\n')
