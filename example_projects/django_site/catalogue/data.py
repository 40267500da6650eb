"""The catalogue, in code: the example needs no database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    category: str
    price: Decimal
    description: str


PRODUCTS: tuple[Product, ...] = (
    Product(
        "espresso-cup",
        "Espresso cup",
        "kitchen",
        Decimal("9.50"),
        "A thick-walled porcelain cup that keeps a double shot hot.",
    ),
    Product(
        "pour-over-kettle",
        "Pour-over kettle",
        "kitchen",
        Decimal("54.00"),
        "Gooseneck kettle with a thermometer in the lid.",
    ),
    Product(
        "burr-grinder",
        "Burr grinder",
        "kitchen",
        Decimal("129.00"),
        "Conical steel burrs, forty grind settings, no static.",
    ),
    Product(
        "desk-lamp",
        "Desk lamp",
        "office",
        Decimal("42.00"),
        "Warm LED light on an arm that stays where you put it.",
    ),
    Product(
        "notebook",
        "Dotted notebook",
        "office",
        Decimal("14.00"),
        "A5, 160 pages of 100 g/m2 paper that takes fountain pens.",
    ),
    Product(
        "fountain-pen",
        "Fountain pen",
        "office",
        Decimal("35.00"),
        "Steel nib, converter included, writes the first time every time.",
    ),
    Product(
        "wool-blanket",
        "Wool blanket",
        "home",
        Decimal("89.00"),
        "Merino, woven in one piece, big enough for two.",
    ),
    Product(
        "linen-cushion",
        "Linen cushion",
        "home",
        Decimal("29.00"),
        "Washed linen cover with a feather insert.",
    ),
)

BY_SLUG = {product.slug: product for product in PRODUCTS}
