"""Type stubs of the native module ``ces._ces`` (checked with ``python -m mypy.stubtest ces._ces``)."""

from typing import Final, Literal, Optional, Protocol, Tuple, Union

import pyarrow as pa  # type: ignore[import-untyped]

__all__ = [
    "__version__",
    "show_trgm",
    "show_trgm_text",
    "similarity",
    "word_similarity",
    "strict_word_similarity",
    "similarity_distance",
    "similar",
    "word_similar",
    "strict_word_similar",
    "score_pairs",
    "_set_parallel",
    "_parallel_enabled",
    "CesError",
    "InvalidThresholdError",
    "InvalidArgumentError",
    "InvalidUtf8Error",
    "MissingValueError",
    "LengthMismatchError",
    "ERROR_CODES",
]

__version__: Final[str]
ERROR_CODES: Final[Tuple[str, ...]]

_Metric = Literal["similarity", "word_similarity", "strict_word_similarity"]

class _ArrowArrayExportable(Protocol):
    def __arrow_c_array__(self, requested_schema: Optional[object] = None) -> Tuple[object, object]: ...

class _ArrowStreamExportable(Protocol):
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...

class CesError(Exception):
    code: str
    row: Optional[int]
    field: Optional[str]
    message: str

class InvalidThresholdError(CesError, ValueError): ...
class InvalidArgumentError(CesError, ValueError): ...
class InvalidUtf8Error(CesError, ValueError): ...
class MissingValueError(CesError, ValueError): ...
class LengthMismatchError(CesError, ValueError): ...

def show_trgm(text: str) -> list[str]: ...
def show_trgm_text(text: str) -> str: ...
def similarity(a: str, b: str) -> float: ...
def word_similarity(needle: str, haystack: str) -> float: ...
def strict_word_similarity(needle: str, haystack: str) -> float: ...
def similarity_distance(a: str, b: str) -> float: ...
def similar(a: str, b: str, threshold: float = 0.72) -> bool: ...
def word_similar(needle: str, haystack: str, threshold: float = 0.72) -> bool: ...
def strict_word_similar(needle: str, haystack: str, threshold: float = 0.72) -> bool: ...
def score_pairs(
    left: Union[_ArrowArrayExportable, _ArrowStreamExportable],
    right: Union[_ArrowArrayExportable, _ArrowStreamExportable],
    metric: _Metric = "similarity",
) -> pa.Array: ...
def _set_parallel(enabled: bool) -> None: ...
def _parallel_enabled() -> bool: ...
