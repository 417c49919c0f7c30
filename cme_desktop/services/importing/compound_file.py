"""What an OLE compound file ([MS-CFB]) must pass before ``olefile`` is trusted with it.

``olefile`` believes the counts in a compound file's header and walks every
directory entry when it opens one. A few hundred bytes can make that cost
hours or gigabytes: a FAT declared a million sectors long through a DIFAT
chain that loops back on itself (olefile copies the growing FAT once per
sector), or a directory of hundreds of thousands of entries (olefile checks
each new stream against every one before it). ``structure_problem`` reads only
the header, the DIFAT and the directory's chain of sectors, each bounded by
the file's size, and says whether the file is one of those.

Anything else that is wrong with the file is left to ``olefile`` to find.
"""

from __future__ import annotations

import struct
from typing import Final, Literal

__all__ = ["MAX_ENTRIES", "OLE_MAGIC", "Problem", "structure_problem"]

OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Streams and storages a file may have: an Outlook message to hundreds of
#: people has ten thousand, and olefile's load time grows with their square.
MAX_ENTRIES: Final = 20_000

_HEADER_DIFAT: Final = 109  # FAT sector numbers kept in the header itself
_MAX_SECTOR: Final = 0xFFFFFFFA  # sector numbers from here on mark ends and special sectors
_ENTRY_BYTES: Final = 128

Problem = Literal["damaged", "too many entries"]


def structure_problem(data: bytes, *, max_entries: int = MAX_ENTRIES) -> Problem | None:
    """Why ``data`` must not be handed to ``olefile``, or ``None`` if it may be.

    ``"damaged"``: not a compound file, or a header whose counts no file of
    this size can have. ``"too many entries"``: a directory longer than
    ``max_entries`` entries.
    """
    if len(data) < 512 or not data.startswith(OLE_MAGIC):
        return "damaged"
    sector_shift = struct.unpack_from("<H", data, 30)[0]
    if sector_shift not in (9, 12):
        return "damaged"
    sector_size = 1 << sector_shift
    sectors = -(-len(data) // sector_size) - 1  # the header takes the first
    (fat_sectors, first_directory, _, _, _, minifat_sectors, first_difat, difat_sectors) = (
        struct.unpack_from("<8I", data, 44)
    )
    # Each FAT sector maps sector_size / 4 sectors: twice what the file needs is plenty.
    fat_needed = sectors // (sector_size // 4) + 1
    if fat_sectors > 2 * fat_needed + 8 or minifat_sectors > sectors or difat_sectors > sectors:
        return "damaged"
    fat = _fat_sector_numbers(data, sector_size, fat_sectors, first_difat, difat_sectors)
    most = max_entries * _ENTRY_BYTES // sector_size + 1
    if _chain_length(data, sector_size, fat, first_directory, most=most) >= most:
        return "too many entries"
    return None


def _fat_sector_numbers(
    data: bytes, sector_size: int, count: int, difat: int, difat_sectors: int
) -> list[int]:
    """Where the FAT's sectors are: the header's first 109, then the DIFAT chain's."""
    numbers = list(struct.unpack_from(f"<{_HEADER_DIFAT}I", data, 76))
    per_sector = sector_size // 4
    for _ in range(difat_sectors):
        offset = (difat + 1) * sector_size
        if len(numbers) >= count or offset + sector_size > len(data):
            break
        *more, difat = struct.unpack_from(f"<{per_sector}I", data, offset)
        numbers.extend(more)
    return numbers[:count]


def _chain_length(data: bytes, sector_size: int, fat: list[int], sector: int, *, most: int) -> int:
    """Sectors in the chain that starts at ``sector``, counted up to ``most``.

    A chain that leaves the file stops the count: olefile reports that damage itself.
    """
    per_sector = sector_size // 4
    length = 0
    while sector < _MAX_SECTOR and length < most:
        length += 1
        fat_index, slot = divmod(sector, per_sector)
        if fat_index >= len(fat):
            break
        offset = (fat[fat_index] + 1) * sector_size + 4 * slot
        if offset + 4 > len(data):
            break
        sector = struct.unpack_from("<I", data, offset)[0]
    return length
