"""SQLAlchemy models (ISA-95 plant model, SPC configuration, immutable records).

The schema is created only by the Alembic migrations in ``migrations/``; these models are
what the repositories query. Samples, measurements, violations, acknowledgments, control
limit versions and audit entries are immutable records (database triggers enforce it); the
exclusion columns of a sample are the only part of a record that may change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: OpenSPC stores timezone-aware UTC timestamps")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), server_default=func.now(), nullable=False)


class Hierarchy(Base):
    __tablename__ = "hierarchy"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_hierarchy_sibling_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("hierarchy.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = _created()


class Characteristic(Base):
    __tablename__ = "characteristic"
    __table_args__ = (UniqueConstraint("hierarchy_id", "name", name="uq_characteristic_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hierarchy_id: Mapped[int] = mapped_column(
        ForeignKey("hierarchy.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(40))
    decimal_places: Mapped[int] = mapped_column(Integer, default=3)
    chart_type: Mapped[str] = mapped_column(String(20))
    subgroup_size: Mapped[int] = mapped_column(Integer)
    usl: Mapped[float | None] = mapped_column(Float)
    lsl: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(10))
    tag: Mapped[str | None] = mapped_column(String(500), unique=True)
    sampling_interval_minutes: Mapped[int | None] = mapped_column(Integer)
    baseline_subgroups: Mapped[int | None] = mapped_column(Integer)
    chart_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now()
    )


class CharacteristicRule(Base):
    __tablename__ = "characteristic_rule"
    __table_args__ = (
        UniqueConstraint("characteristic_id", "chart", "rule_key", name="uq_characteristic_rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    characteristic_id: Mapped[int] = mapped_column(
        ForeignKey("characteristic.id", ondelete="CASCADE"), index=True
    )
    chart: Mapped[str] = mapped_column(String(12), default="primary")
    rule_key: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean)
    severity: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ControlLimits(Base):
    """One version of a characteristic's control limits (immutable)."""

    __tablename__ = "control_limits"
    __table_args__ = (
        UniqueConstraint("characteristic_id", "version", name="uq_control_limits_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    characteristic_id: Mapped[int] = mapped_column(
        ForeignKey("characteristic.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    center_line: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    ucl: Mapped[float] = mapped_column(Float)
    lcl: Mapped[float] = mapped_column(Float)
    subgroup_size: Mapped[int] = mapped_column(Integer)
    dispersion_center: Mapped[float | None] = mapped_column(Float)
    dispersion_ucl: Mapped[float | None] = mapped_column(Float)
    dispersion_lcl: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(20))  # baseline | recalculated | manual
    from_sample_id: Mapped[int | None] = mapped_column(Integer)
    to_sample_id: Mapped[int | None] = mapped_column(Integer)
    sample_count: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class Sample(Base):
    """One subgroup. ``value``/``dispersion`` are the plotted statistics (``value``: mean,
    individual, or p/np/c/u of an attribute sample's ``count`` and ``size``); ``z``,
    ``z_dispersion`` and an EWMA/CUSUM ``statistic`` were computed with ``limits_id`` when
    the sample arrived (NULL while no limits)."""

    __tablename__ = "sample"
    __table_args__ = (
        UniqueConstraint("characteristic_id", "timestamp", name="uq_sample_time"),
        Index("ix_sample_characteristic_id_id", "characteristic_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    characteristic_id: Mapped[int] = mapped_column(
        ForeignKey("characteristic.id", ondelete="RESTRICT")
    )
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(10))
    batch_number: Mapped[str | None] = mapped_column(String(100))
    operator_id: Mapped[str | None] = mapped_column(String(100))
    subgroup_size: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    dispersion: Mapped[float | None] = mapped_column(Float)
    limits_id: Mapped[int | None] = mapped_column(
        ForeignKey("control_limits.id", ondelete="RESTRICT")
    )
    z: Mapped[float | None] = mapped_column(Float)
    z_dispersion: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int | None] = mapped_column(Integer)  # attribute charts: items or defects
    size: Mapped[float | None] = mapped_column(Float)  # attribute charts: items or units
    statistic: Mapped[float | None] = mapped_column(Float)  # EWMA, or CUSUM C⁺
    statistic_lower: Mapped[float | None] = mapped_column(Float)  # CUSUM C⁻
    excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    excluded_reason: Mapped[str | None] = mapped_column(Text)
    excluded_by: Mapped[str | None] = mapped_column(String(100))
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Measurement(Base):
    __tablename__ = "measurement"
    __table_args__ = (UniqueConstraint("sample_id", "position", name="uq_measurement_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)


class Violation(Base):
    __tablename__ = "violation"
    __table_args__ = (
        UniqueConstraint("sample_id", "chart", "rule_key", name="uq_violation_sample_rule"),
        Index("ix_violation_characteristic_id_id", "characteristic_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="RESTRICT"))
    characteristic_id: Mapped[int] = mapped_column(
        ForeignKey("characteristic.id", ondelete="RESTRICT")
    )
    chart: Mapped[str] = mapped_column(String(12))
    rule_key: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[int] = mapped_column(Integer)
    rule_name: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    limits_id: Mapped[int | None] = mapped_column(
        ForeignKey("control_limits.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = _created()


class ReasonCode(Base):
    __tablename__ = "reason_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Acknowledgment(Base):
    __tablename__ = "acknowledgment"

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[int] = mapped_column(
        ForeignKey("violation.id", ondelete="RESTRICT"), unique=True
    )
    user: Mapped[str] = mapped_column(String(100))
    reason_code: Mapped[str] = mapped_column(String(50))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = _created()
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(50))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
