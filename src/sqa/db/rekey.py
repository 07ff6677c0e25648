"""`sqa keys status` and `sqa keys rotate`: count and re-encrypt the encrypted columns (db/crypto.py).

The columns are found in the models (every EncryptedText / EncryptedBytes /
EncryptedJSON column), so a new encrypted column is rotated without touching
this file. Both read the stored form directly (the key id in the prefix), never
by decrypting what they only count.

Rotation walks each column by id in batches, one transaction per batch, and
rewrites only the values that are plaintext or under another key than the
target: re-running it (after a crash, or while the daemon keeps writing) does
only what is left, so it is resumable and safe next to a running daemon (rows
are locked FOR UPDATE on PostgreSQL; SQLite's writer lock covers the batch).
A value no configured key opens stops the rotation with DecryptError naming
the column and key id: nothing is written for that batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, LargeBinary, Table, Text, bindparam, cast, func, literal, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sqa.db.crypto import HEAD_LEN, KID_LEN, PREFIX, EncryptedBytes, EncryptedJSON, EncryptedText, Keyring, stored_key_id
from sqa.db.models import Base

BATCH = 500


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    table: Table
    name: str
    kind: str  # text | bytes | json

    @property
    def label(self) -> str:
        return f"{self.table.name}.{self.name}"

    @property
    def column(self) -> Any:
        return self.table.c[self.name]

    def head(self, start: int, length: int) -> Any:
        """SQL for characters start..start+length of the stored form (after the opening quote of a JSON string)."""
        if self.kind == "json":
            return func.substr(cast(self.column, Text), start + 1, length)
        if self.kind == "bytes":
            return func.substr(self.column, start, length)
        return func.substr(type_coerce(self.column, Text), start, length)

    def literal(self, text: str) -> Any:
        return literal(text.encode("ascii"), LargeBinary) if self.kind == "bytes" else literal(text, Text)

    def raw(self) -> Any:
        """The column as stored: no decryption (JSON still parsed: a token comes back as a str)."""
        return type_coerce(self.column, {"json": JSON(), "bytes": LargeBinary(), "text": Text()}[self.kind])

    def plaintext(self, value: Any, keyring: Keyring) -> bytes:
        kind = self.column.type
        token = kind.token_of(value)
        return keyring.open(token, self.label) if token is not None else kind.to_bytes(value)

    def sealed(self, plain: bytes, keyring: Keyring) -> Any:
        return self.column.type.stored(keyring.seal(plain, self.label))


def encrypted_columns() -> list[EncryptedColumn]:
    kinds = {EncryptedText: "text", EncryptedBytes: "bytes", EncryptedJSON: "json"}
    return [EncryptedColumn(table, col.name, kinds[type(col.type)])
            for table in Base.metadata.sorted_tables for col in table.columns if type(col.type) in kinds]


@dataclass
class ColumnStatus:
    column: str
    total: int = 0
    null: int = 0  # NULL (purged by retention, or never set)
    plaintext: int = 0
    by_key: dict[str, int] = field(default_factory=dict)  # key id -> values encrypted with it


async def status(engine: AsyncEngine) -> list[ColumnStatus]:
    out = []
    async with engine.connect() as conn:
        for col in encrypted_columns():
            st = ColumnStatus(col.label)
            st.total = (await conn.execute(select(func.count()).select_from(col.table))).scalar_one()
            st.null = (await conn.execute(select(func.count()).select_from(col.table)
                                          .where(col.column.is_(None)))).scalar_one()
            kid = col.head(len(PREFIX) + 1, KID_LEN)
            rows = await conn.execute(select(kid, func.count()).where(col.head(1, len(PREFIX)) == col.literal(PREFIX))
                                      .group_by(kid))
            for key, n in rows.all():
                name = bytes(key).decode("ascii", "replace") if isinstance(key, (bytes, memoryview)) else str(key)
                st.by_key[name] = n
            st.plaintext = st.total - st.null - sum(st.by_key.values())
            out.append(st)
    return out


@dataclass
class Rotated:
    column: str
    rewritten: int = 0  # values now under the target key (from plaintext or another key)
    from_plaintext: int = 0


async def rotate(engine: AsyncEngine, keyring: Keyring, *, batch: int = BATCH,
                 progress: Callable[[str, int], None] | None = None) -> list[Rotated]:
    """Re-encrypt every value not yet under ``keyring``'s current key; the other keys only decrypt."""
    head = f"{PREFIX}{keyring.current_id}:"
    assert len(head) == HEAD_LEN
    out = []
    pg = engine.dialect.name == "postgresql"
    for col in encrypted_columns():
        done = Rotated(col.label)
        id_col = col.table.c.id
        todo = (col.column.is_not(None), col.head(1, HEAD_LEN) != col.literal(head))
        write = (update(col.table).where(id_col == bindparam("b_id"))
                 .values({col.name: bindparam("b_val", type_=col.raw().type)}))
        last = 0
        while True:
            async with engine.begin() as conn:
                stmt = select(id_col, col.raw()).where(*todo, id_col > last).order_by(id_col).limit(batch)
                rows = (await conn.execute(stmt.with_for_update() if pg else stmt)).all()
                params = []
                for row_id, value in rows:
                    done.from_plaintext += stored_key_id(value) is None
                    params.append({"b_id": row_id, "b_val": col.sealed(col.plaintext(value, keyring), keyring)})
                if params:
                    await conn.execute(write, params)
            done.rewritten += len(rows)
            if progress is not None and rows:
                progress(col.label, len(rows))
            if len(rows) < batch:
                break
            last = rows[-1][0]
        out.append(done)
    return out
