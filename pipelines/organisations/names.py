"""How organisations are named where space is short."""


def short_icb_name(name: str) -> str:
    """'NHS GREATER MANCHESTER INTEGRATED CARE BOARD' -> 'GREATER MANCHESTER' (matrix rows, e-mail subjects)."""
    name = name.removeprefix("NHS ")
    for suffix in (" INTEGRATED CARE BOARD", " ICB"):
        name = name.removesuffix(suffix)
    return name
