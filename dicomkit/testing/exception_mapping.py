"""Prove that a backend maps every exception its HTTP library defines into dicomkit's tree.

A backend promises that users only ever see :class:`~dicomkit.core.errors.DicomkitError`. The
only way to keep that promise across library upgrades is to read the exception classes from the
library itself, raise each one inside the backend's mapping context, and fail on any that leaves
unmapped. A backend's test is then one call::

    from dicomkit.testing.exception_mapping import assert_every_exception_mapped

    def test_every_library_exception_is_mapped() -> None:
        checked = assert_every_exception_mapped([mylib, mylib.exceptions], translated_errors)
        assert len(checked) >= 20   # the walk really saw the library

``mapped`` is the backend's context manager factory (called with no arguments), the one that
wraps its send, stream reads and close. Or subclass :class:`ExceptionMappingTests` and describe
the library once, for the checks every backend shares::

    class TestMylibErrors(ExceptionMappingTests):
        mapping = LibraryMapping([mylib, mylib.exceptions], MYLIB_TRANSLATOR)
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import ModuleType
from typing import ClassVar

from dicomkit.core import errors
from dicomkit.transports.support import BodySourceError, ExceptionTranslator

__all__ = [
    "ExceptionMappingTests",
    "LibraryMapping",
    "Mapped",
    "assert_every_exception_mapped",
    "assert_exception_mapped",
    "assert_passes_through",
    "library_exceptions",
    "raised_through",
    "sample_exception",
]

Mapped = Callable[[], AbstractContextManager[object]]
"""A backend's mapping context factory, such as ``translated_errors``."""

Expected = Callable[[type[BaseException]], "type[errors.DicomkitError] | None"]

_ARGUMENT_LISTS: tuple[tuple[object, ...], ...] = (
    ("boom",),
    (None, "boom"),
    (None, None, "boom"),
    (0, 0),
    ("boom", "boom"),
)


def _shown(exc: BaseException) -> str:
    """``repr(exc)``, or its class name when a half-built exception cannot say more."""
    try:
        return repr(exc)
    except Exception:
        return f"<{type(exc).__qualname__}>"


def library_exceptions(*modules: ModuleType) -> list[type[Exception]]:
    """The ``Exception`` classes the modules hold that their own package defines.

    Classes a module merely imports from elsewhere (the standard library, a dependency) are
    left out; the list is sorted by qualified name, so parametrised test ids stay stable.
    """
    found: set[type[Exception]] = set()
    for module in modules:
        package = module.__name__.split(".")[0]
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__.split(".")[0] == package
            ):
                found.add(value)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def sample_exception(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls`` whose ``str()`` works, built with the first of a few argument
    lists its constructor accepts; failing all, one made without running ``__init__`` (many
    library constructors want live connections or responses)."""
    for args in _ARGUMENT_LISTS:
        try:
            exc = cls(*args)
            str(exc)
            return exc
        except Exception:
            continue
    exc = cls.__new__(cls)
    exc.args = ("boom",)
    return exc


def assert_exception_mapped(
    original: BaseException | type[BaseException],
    mapped: Mapped,
    *,
    expected: type[errors.DicomkitError] | None = None,
) -> errors.DicomkitError:
    """Raise ``original`` (or a :func:`sample_exception` of a class) inside ``mapped()``; it must
    leave as a dicomkit error (an ``expected`` one, if given) whose ``__cause__`` it is."""
    if isinstance(original, type):
        original = sample_exception(original)
    name = f"{type(original).__module__}.{type(original).__qualname__}"
    try:
        with mapped():
            raise original
    except errors.DicomkitError as error:
        if error.__cause__ is not original:
            raise AssertionError(f"{name} became {error!r} without being its cause") from error
        if expected is not None and not isinstance(error, expected):
            wanted = expected.__name__
            raise AssertionError(f"{name} became {error!r}, not a {wanted}") from error
        return error
    except BaseException as other:
        raise AssertionError(f"{name} left the mapping unmapped, as {_shown(other)}") from other
    raise AssertionError(f"the mapping swallowed {name}")


def assert_every_exception_mapped(
    classes: ModuleType | Iterable[ModuleType | type[BaseException]],
    mapped: Mapped,
    *,
    expected: Expected | None = None,
) -> list[type[BaseException]]:
    """Check :func:`assert_exception_mapped` for every class (modules are walked with
    :func:`library_exceptions`) and fail once, naming every class that is not mapped.

    ``expected(cls)`` may give the class each must become (a backend's own table lookup); a
    class it gives None for counts as unmapped. Returns the classes checked.
    """
    items = [classes] if isinstance(classes, ModuleType) else list(classes)
    checked: list[type[BaseException]] = []
    for item in items:
        checked.extend(library_exceptions(item) if isinstance(item, ModuleType) else [item])
    if not checked:
        raise AssertionError("no exception classes to check: is the walk looking at the library?")
    failures: list[str] = []
    for cls in checked:
        target = expected(cls) if expected is not None else None
        if expected is not None and target is None:
            failures.append(f"{cls.__module__}.{cls.__qualname__} is not in the table")
            continue
        try:
            assert_exception_mapped(cls, mapped, expected=target)
        except AssertionError as failure:
            failures.append(str(failure))
    if failures:
        raise AssertionError(f"{len(failures)} unmapped:\n" + "\n".join(failures))
    return checked


def _passing() -> list[BaseException]:
    return [
        asyncio.CancelledError(),
        KeyboardInterrupt(),
        TypeError("a bug"),
        AttributeError("a bug"),
        ValueError("a bug"),
        errors.ReadTimeout("already ours"),
    ]


def raised_through(mapped: Mapped, original: BaseException) -> BaseException:
    """What leaves ``mapped()`` when ``original`` is raised inside it (fails if nothing does)."""
    try:
        with mapped():
            raise original
    except BaseException as left:
        return left
    raise AssertionError(f"the mapping swallowed {_shown(original)}")


def assert_passes_through(mapped: Mapped, *exceptions: BaseException) -> None:
    """Cancellation, programming errors and dicomkit's own errors must leave ``mapped()`` as
    the very objects raised (by default a sample of each kind)."""
    for original in exceptions or _passing():
        left = raised_through(mapped, original)
        if left is not original:
            raise AssertionError(f"{_shown(original)} was replaced by {_shown(left)}") from left


@dataclass(frozen=True)
class LibraryMapping:
    """A backend's exception mapping, as :class:`ExceptionMappingTests` checks it.

    ``modules`` hold the library's exception classes. ``mapping`` is the backend's
    :class:`~dicomkit.transports.support.ExceptionTranslator` (then every library class in its
    table must also be one the walk sees, proof that ``modules`` cover the library), or its
    mapping context factory with, optionally, its own table lookup ``expected`` (see
    :func:`assert_every_exception_mapped`). The walk must see at least ``at_least`` classes,
    among them every one named in ``names``. ``precise`` pins the exact dicomkit class chosen
    for classes where the nearest ancestor matters (a subclass mapped apart from its base).
    """

    modules: Sequence[ModuleType]
    mapping: Mapped | ExceptionTranslator
    expected: Expected | None = None
    at_least: int = 1
    names: Collection[str] = ()
    precise: Mapping[type[BaseException], type[errors.DicomkitError]] = field(default_factory=dict)

    @property
    def mapped(self) -> Mapped:
        """The mapping context factory."""
        if isinstance(self.mapping, ExceptionTranslator):
            return self.mapping.translated
        return self.mapping

    @property
    def lookup(self) -> Expected | None:
        """The dicomkit class each library class must become, where the backend says."""
        if self.expected is None and isinstance(self.mapping, ExceptionTranslator):
            return self.mapping.error_class_for
        return self.expected

    def table_classes(self) -> set[type[BaseException]]:
        """The library's own classes in the translator's table (none for a bare context)."""
        if not isinstance(self.mapping, ExceptionTranslator):
            return set()
        packages = {module.__name__.split(".")[0] for module in self.modules}
        return {cls for cls in self.mapping.table() if cls.__module__.split(".")[0] in packages}


class ExceptionMappingTests:
    """The exception-mapping checks every backend shares; set ``mapping`` in a subclass."""

    mapping: ClassVar[LibraryMapping]

    def test_every_library_exception_is_mapped_with_its_cause(self) -> None:
        wanted = self.mapping
        checked = assert_every_exception_mapped(
            wanted.modules, wanted.mapped, expected=wanted.lookup
        )
        seen = set(checked)
        unseen = sorted(cls.__qualname__ for cls in wanted.table_classes() - seen)
        assert not unseen, f"the walk never saw {unseen}: are modules missing?"
        missing = set(wanted.names) - {cls.__name__ for cls in checked}
        assert not missing, f"the walk never saw {sorted(missing)}"
        assert len(checked) >= wanted.at_least, f"only {len(checked)} classes seen"

    def test_the_most_specific_error_is_chosen(self) -> None:
        wanted = self.mapping
        wrong: list[str] = []
        for cls, precise in wanted.precise.items():
            chosen: type[BaseException] | None
            if wanted.lookup is not None:
                chosen = wanted.lookup(cls)
            else:
                chosen = type(raised_through(wanted.mapped, sample_exception(cls)))
            if chosen is not precise:
                wrong.append(f"{cls.__qualname__} became {chosen}, not {precise.__name__}")
        assert not wrong, "\n".join(wrong)

    def test_half_built_exceptions_translate_too(self) -> None:
        """Exceptions made without ``__init__`` (no message, no request) still translate."""
        for cls in library_exceptions(*self.mapping.modules):
            assert_exception_mapped(cls.__new__(cls), self.mapping.mapped)

    def test_cancellation_bugs_and_our_own_errors_pass_through(self) -> None:
        assert_passes_through(self.mapping.mapped)

    def test_a_failing_body_source_reaches_the_caller_unchanged(self) -> None:
        """However the library chains the caller's error (cause or context), it comes out."""
        library = library_exceptions(*self.mapping.modules)[0]
        for link in ("__cause__", "__context__"):
            own = OSError("the caller's file vanished")
            raised = sample_exception(library)
            setattr(raised, link, BodySourceError(own))
            left = raised_through(self.mapping.mapped, raised)
            assert left is own, f"{link}: {_shown(left)} left instead of the caller's error"
