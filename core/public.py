"""Text that Temporal's tools may show without the codec: summaries of a workflow, its timers
and its activities, which hold no personal data (only stages, task kinds, levels and ids).

The data converter (`core/converter.py`) writes a `PublicText` as plain JSON marked
`frontdoor-public`, and the codec (`core/codec.py`) leaves such payloads unsealed; anything else
(a plain `str` included) is sealed as usual. Only for text built from codes, never from what a
person wrote or a child's details.
"""

from __future__ import annotations

PUBLIC_KEY = "frontdoor-public"
"""The metadata key marking a payload left readable on purpose."""


class PublicText(str):
    """A `str` that holds no personal data and may be shown unsealed (see the module)."""

    __slots__ = ()
