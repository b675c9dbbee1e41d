"""Why an incoming value did not become a measurement (counted, logged, never raised)."""

from __future__ import annotations

from enum import StrEnum


class DropReason(StrEnum):
    """A counted drop. Message-level reasons count messages; value-level ones count values.

    A redelivered value the pipeline already stored counts as ``DUPLICATE`` too."""

    # message level
    MALFORMED = "malformed"  # undecodable payload or topic, DATA without seq, nameless birth metric
    BEFORE_BIRTH = "before_birth"  # DATA/DBIRTH/DDEATH of a node or device with no live birth
    OUT_OF_ORDER = "out_of_order"  # late or repeated seq, or held messages a new NBIRTH superseded
    SEQ_GAP = "seq_gap"  # a message that never arrived within the reorder timeout
    STALE_DEATH = "stale_death"  # NDEATH whose bdSeq belongs to an earlier session (ignored)
    # value level (the codec decides the first six)
    NULL = "null"  # is_null set: no value by design
    NO_VALUE = "no_value"  # neither a value nor is_null
    NOT_NUMERIC = "not_numeric"  # String, Bytes, DataSet, Template, DateTime, arrays ...
    NON_FINITE = "non_finite"  # NaN or +/-inf
    WRONG_TYPE = "wrong_type"  # the value field does not fit the datatype
    UNKNOWN_TYPE = "unknown_type"  # integer value whose datatype is unknown (sign is ambiguous)
    UNKNOWN_ALIAS = "unknown_alias"  # alias or name not in the birth
    BAD_QUALITY = "bad_quality"  # Quality property other than good (0 bad, 500 stale, ...)
    DUPLICATE = "duplicate"  # a rebirth repeating the value (and timestamp) already delivered
    SHADOWED_TAG = "shadowed_tag"  # device metric whose tag URI names a node metric (see topics)
    # provider level (values, except OVERSIZED which counts messages)
    OVERSIZED = "oversized"  # payload larger than the configured maximum (never decoded)
    UNKNOWN_TAG = "unknown_tag"  # no characteristic with source TAG is bound to the tag
    PARTIAL_SUBGROUP = "partial_subgroup"  # values of a subgroup discarded before it completed
    REJECTED = "rejected"  # the pipeline refused the sample (e.g. the binding changed meanwhile)
    # attribute charts (values)
    BAD_COUNT = "bad_count"  # not a whole number >= 0, or (p, np) more than its sample size
    BAD_SIZE = "bad_size"  # the count's size is missing, not > 0, or one its chart cannot take
