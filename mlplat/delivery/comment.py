"""A pull-request comment body that GitHub accepts: at most 65,536 characters, or it refuses the comment
(REST API "Create an issue comment": `body` is limited to 65536 characters; larger bodies get 422)."""

from __future__ import annotations

import sys
from pathlib import Path

GITHUB_COMMENT_LIMIT = 65_536
_MARGIN = 512  # room for the pointer line and a closing fence


def fit(body: str, details_url: str, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """`body` unchanged when it fits; otherwise cut at a line end, fences closed, with a pointer to the rest."""
    if len(body) <= limit:
        return body
    cut = body[: limit - _MARGIN]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else cut
    fence = "```\n" if cut.count("```") % 2 else ""
    pointer = (
        f"\n**Truncated**: this comment shows {len(cut):,} of {len(body):,} characters "
        f"(GitHub's limit is {limit:,}). The full plan is in the job summary: {details_url}\n"
    )
    return cut + fence + pointer


def main(argv: list[str]) -> int:
    """`python -m mlplat.delivery.comment BODY_FILE DETAILS_URL`: print the body that fits."""
    path, url = argv
    sys.stdout.write(fit(Path(path).read_text(), url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
