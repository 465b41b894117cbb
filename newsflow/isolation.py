"""No single item fails a run: an unexpected exception on one page or one
article becomes a :class:`Drop` with reason ``internal_error``.

Expected failures keep their own reasons (``bad_charset``, ``too_short``
...): stages raise or return those on purpose.  What reaches these guards is
a bug in newsflow or in a library on an input nobody foresaw (the page with a
comment where a text node's parent should be).  It is not swallowed: the drop
carries the exception's class, message and the line that raised it, lands in
``drops`` with the item's URL, is counted in the run summary, and the flow
logs it once.

:func:`isolated` guards a per-item call; :func:`failing_items` finds, by
bisection, the items that make a batch function raise, so a batch step
(dedupe over a window) can run again without them.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from typing import TypeVar

from newsflow.records import Drop

T = TypeVar("T")
R = TypeVar("R")

INTERNAL_ERROR = "internal_error"
DETAIL_MAX = 1000


def describe(exc: BaseException) -> str:
    """``Class: message (file.py:line in function)``, for a drop's detail."""
    where = ""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ is not None else []
    if frames:
        last = frames[-1]
        where = f" ({'/'.join(last.filename.rsplit('/', 2)[-2:])}:{last.lineno} in {last.name})"
    return f"{type(exc).__name__}: {exc}{where}"[:DETAIL_MAX]


def internal_error(stage: str, source: str, url: str, exc: BaseException) -> Drop:
    return Drop(stage, source, url, INTERNAL_ERROR, describe(exc))


def isolated(stage: str, source: str, url: str, call: Callable[[], R]) -> R | Drop:
    """``call()``, or an ``internal_error`` drop if it raises an Exception."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - becomes a recorded drop with the exception, see the module doc
        return internal_error(stage, source, url, exc)


def failing_items(items: Sequence[T], run: Callable[[Sequence[T]], object]
                  ) -> tuple[list[T], list[tuple[T, BaseException]]]:
    """Split ``items`` into those ``run`` accepts together and those that
    make it raise, by bisection: (good items, [(bad item, its exception)]).

    ``run`` is called on the whole batch first, so a batch that passes costs
    one call.  When every item passes alone or in its half but the good ones
    still fail together (an interaction, not an item), all of them are
    returned as failing with that exception."""
    try:
        run(items)
        return list(items), []
    except Exception as exc:  # noqa: BLE001 - the caller records each failing item as a drop
        if len(items) == 1:
            return [], [(items[0], exc)]
        first = exc
    mid = len(items) // 2
    good_a, bad_a = failing_items(items[:mid], run)
    good_b, bad_b = failing_items(items[mid:], run)
    good = good_a + good_b
    if not bad_a and not bad_b:
        return [], [(item, first) for item in items]
    if good:
        try:
            run(good)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            return [], [*bad_a, *bad_b, *((item, exc) for item in good)]
    return good, [*bad_a, *bad_b]
