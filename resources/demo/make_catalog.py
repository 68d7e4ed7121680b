# ruff: noqa: E501  (the hand-written product table keeps one product per line)
"""Generate ``catalog.csv``, the demo store's catalog, deterministically.

The product list below is written by hand; what is generated (with ``random.Random(42)``,
so the output never changes unless this file or ``categories.csv`` does) is the SKU
numbering and the barcodes: each product family gets a supplier's company prefix and
consecutive item references, and every check digit is computed with biip.

Run ``python -m resources.demo.make_catalog`` (or this file) to rewrite ``catalog.csv``
next to it; commit the script and its output together.

Columns: ``sku,barcode,name,category_id,price,tax_code``. ``barcode`` is the code as
printed (UPC-A, EAN-13 or EAN-8), empty for items sold by SKU only; ``tax_code`` is the
category's tax class unless the product overrides it (candy and soft drinks are taxed at
the standard rate, over-the-counter medicine and most services are not taxed).
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import biip
from biip.checksums import gs1_standard_check_digit

HERE = Path(__file__).resolve().parent
CATEGORIES_CSV = HERE / "categories.csv"
CATALOG_CSV = HERE / "catalog.csv"
COLUMNS = ("sku", "barcode", "name", "category_id", "price", "tax_code")
SEED = 42

#: SKU prefix per category id (must match categories.csv).
SKU_PREFIX = {
    "apparel": "APP",
    "footwear": "FTW",
    "home-kitchen": "HKT",
    "small-appliances": "SAP",
    "electronics": "ELE",
    "toys-games": "TOY",
    "sporting-goods": "SPT",
    "health-beauty": "HBA",
    "grocery": "GRO",
    "household": "HHC",
    "hardware": "HWT",
    "office-school": "OFF",
    "garden": "GDN",
    "pet": "PET",
    "services": "SVC",
}

# An axis value is a label, or (label, price): "12.99" replaces the price, "+2.00" adds.
Axis = Sequence[str | tuple[str, str]]


@dataclass(frozen=True)
class P:
    """A product family: one catalog item per combination of its variant axes."""

    name: str  # "{}" placeholders take the variant labels, else they follow after ", "
    price: str
    axes: tuple[Axis, ...] = ()
    tax: str | None = None  # None: the category's tax class
    code: str = "upc"  # "upc", "ean13:<GS1 prefix>", "ean8:<GS1 prefix>" or "none"

    def __init__(self, name: str, price: str, *axes: Axis, tax: str | None = None, code: str = "upc") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "tax", tax)
        object.__setattr__(self, "code", code)


COLORS_TEE = ["Navy", "Heather Gray", "Black"]

# The product table reads best one product per line, even past the line length.
PRODUCTS: dict[str, list[P]] = {
    "apparel": [
        P("Men's Crew Neck T-Shirt", "9.99", COLORS_TEE, ["M", "L", "XL"]),
        P("Women's V-Neck T-Shirt", "8.99", ["White", "Coral", "Black"], ["S", "M", "L"]),
        P("Men's Slim Fit Chino Pants", "29.99", ["Khaki", "Navy"], ["32x30", "34x32", "36x32"]),
        P("Women's High-Rise Skinny Jeans", "34.99", ["Dark Wash", "Light Wash"], ["6", "8", "10", "12"]),
        P("Unisex Pullover Hoodie", "24.99", ["Charcoal", "Forest Green"], ["M", "L", ("XL", "+2.00")]),
        P("Kids' Graphic Tee, Dinosaur", "7.99", ["XS (4-5)", "S (6-7)", "M (8)"]),
        P("Men's Athletic Crew Socks, 6-Pack", "12.99", ["White", "Black"], ["Size 6-12", "Size 12-16"]),
        P("Women's No-Show Socks, 6-Pack, Assorted", "10.99"),
        P("Women's Fleece Zip Jacket", "34.99", ["Black", "Burgundy"], ["S", "M", "L"]),
        P("Men's Flannel Shirt", "22.99", ["Red Plaid", "Blue Plaid"], ["M", "L", "XL"]),
        P("Knit Beanie", "9.99", ["Black", "Gray", "Mustard"]),
        P("Touchscreen Knit Gloves", "7.99", ["Black", "Gray"]),
        P("Women's High-Waist Leggings, Black", "14.99", ["S", "M", "L"]),
        P("Baby Bodysuits, 5-Pack", "16.99", ["0-3 Months", "3-6 Months", "6-9 Months"]),
        P("Men's Boxer Briefs, 4-Pack", "19.99", ["M", "L", "XL"]),
        P("Men's Reversible Belt, Black/Brown", "19.99", ["32", "34", "36", "38"]),
        P("Rain Poncho, Clear, One Size", "4.99"),
        P("Canvas Baseball Cap", "12.99", ["Khaki", "Navy"]),
        P("Women's Cotton Pajama Set", "24.99", ["Blue Stripe", "Pink Floral"], ["S", "M", "L"]),
        P("Silk-Blend Scarf, Paisley", "16.99"),
    ],
    "footwear": [
        P("Men's Canvas Low-Top Sneakers", "29.99", ["White", "Black"], ["8", "9", "10", "11"]),
        P("Women's Knit Running Shoes", "44.99", ["Gray/Pink", "Black"], ["6", "7", "8", "9"]),
        P("Kids' Light-Up Sneakers", "27.99", ["Size 10", "Size 11", "Size 12", "Size 1"]),
        P("Men's Memory Foam Slippers", "19.99", ["M (8-9)", "L (10-11)", "XL (12-13)"]),
        P("Women's Fuzzy Slide Slippers", "14.99", ["S (5-6)", "M (7-8)", "L (9-10)"]),
        P("Unisex Foam Clogs", "24.99", ["Navy", "Lime"], ["M7/W9", "M9/W11", "M11/W13"]),
        P("Women's Ankle Rain Boots", "32.99", ["7", "8", "9"]),
        P("Men's Waterproof Work Boots, Steel Toe", "79.99", ["9", "10", "11", "12"]),
        P("Women's Flip-Flops", "6.99", ["S (5-6)", "M (7-8)", "L (9-10)"]),
        P("Women's Ballet Flats, Black", "24.99", ["6", "7", "8", "9"]),
        P("Shoe Laces, Flat, 45 in", "3.49", ["White", "Black"], code="ean8:400"),
        P("Cedar Shoe Trees, 1 Pair", "14.99"),
        P("Gel Insoles", "12.99", ["Men's 8-13", "Women's 6-10"]),
        P("Suede & Nubuck Cleaning Kit", "9.99", code="ean13:800"),
        P("Waterproofing Shoe Spray, 5.5 oz", "8.99"),
        P("Espadrille Sandals, Natural", "22.49", ["7", "8", "9"], code="ean13:841"),
    ],
    "home-kitchen": [
        P("Nonstick Frying Pan", "19.99", ["8 in", ("10 in", "24.99"), ("12 in", "29.99")]),
        P("Stainless Steel Saucepan with Lid", "24.99", ["1.5 qt", ("3 qt", "32.99")]),
        P("Enameled Cast Iron Dutch Oven, 5.5 qt", "59.99", ["Cherry Red", "Slate Blue"], code="ean13:301"),
        P("Chef's Knife, 8 in", "24.99", code="ean13:490"),
        P("Bamboo Cutting Board Set, 3-Piece", "19.99"),
        P("Glass Food Storage Containers, 10-Piece", "29.99"),
        P("Microfiber Dish Towels, 4-Pack", "9.99", ["Gray", "Sage"]),
        P("Stoneware Dinner Plates, Set of 4", "29.99", ["White", "Speckled Blue"]),
        P("Drinking Glasses, 16 oz, Set of 6", "14.99"),
        P("Stemless Wine Glasses, Set of 4", "16.99"),
        P("Ceramic Coffee Mug, 14 oz", "5.99", ["White", "Black", "Terracotta"]),
        P("Insulated Tumbler, 20 oz", "14.99", ["Stainless", "Matte Black", "Lilac"]),
        P("Insulated Water Bottle, 32 oz", "24.99", ["Navy", "Sage"]),
        P("Silicone Spatula Set, 3-Piece", "9.99"),
        P("Crème Brûlée Torch", "24.99"),
        P("Ramekins, 6 oz, Set of 4", "12.99"),
        P("Measuring Cups and Spoons Set", "11.99"),
        P("Stainless Steel Mixing Bowls, 3-Piece", "19.99"),
        P("Half Sheet Pan", "12.99"),
        P("Cotton Bath Towel", "9.99", ["White", "Gray", "Navy"]),
        P("Cotton Hand Towel", "5.99", ["White", "Gray"]),
        P("Microfiber Sheet Set", "29.99", ["Twin", "Full", ("Queen", "34.99"), ("King", "39.99")]),
        P("Down-Alternative Pillow", "14.99", ["Standard", ("King", "19.99")]),
        P("Fleece Throw Blanket, 50 x 60 in", "14.99", ["Charcoal", "Blush"]),
        P("Blackout Curtain Panel, 52 x 84 in", "19.99", ["Gray", "Navy"]),
        P("Scented Jar Candle, 14 oz", "12.99", ["Vanilla Bean", "Fresh Linen", "Cinnamon Spice"]),
        P("Picture Frame, Black", "8.99", ["5 x 7 in", ("8 x 10 in", "12.99")]),
        P("Shower Curtain Liner, 70 x 72 in", "6.99"),
        P("Memory Foam Bath Mat", "12.99"),
        P("French Press Coffee Maker, 34 oz", "24.99", code="ean13:570"),
    ],
    "small-appliances": [
        P("Stainless Steel Electric Kettle {}", "29.99", ["1.0 L", ("1.7 L", "34.99")]),
        P("Glass Electric Kettle 1.7 L", "34.99"),
        P("Programmable Coffee Maker, 12-Cup", "39.99", ["Black", ("Stainless", "49.99")]),
        P("Single-Serve Coffee Brewer", "59.99", ["Black", "Red"]),
        P("Conical Burr Coffee Grinder", "49.99"),
        P("Blade Coffee Grinder", "19.99"),
        P("2-Slice Toaster", "24.99", ["White", "Black", ("Stainless", "32.99")]),
        P("4-Slice Toaster", "39.99"),
        P("Toaster Oven, 6-Slice", "69.99"),
        P("Air Fryer {}", "59.99", ["4 qt", ("6 qt", "79.99")]),
        P("Countertop Blender, 48 oz", "49.99"),
        P("Personal Blender with 2 Travel Cups", "29.99"),
        P("Hand Mixer, 5-Speed", "24.99"),
        P("Tilt-Head Stand Mixer, 5 qt", "249.99", ["Silver", "Red", "Teal"]),
        P("Slow Cooker, {}", "29.99", ["4 qt", ("6 qt", "39.99")]),
        P("Electric Pressure Cooker, 6 qt", "89.99"),
        P("Rice Cooker", "24.99", ["6-Cup", ("10-Cup", "34.99")]),
        P("Belgian Waffle Maker", "24.99"),
        P("Electric Griddle, 20 in", "34.99"),
        P("Immersion Blender", "29.99"),
        P("Food Processor, 8-Cup", "79.99"),
        P("Countertop Microwave", "79.99", ["0.7 cu ft", ("1.1 cu ft", "109.99")]),
        P("Handheld Garment Steamer", "29.99"),
        P("Steam Iron", "29.99"),
        P("Cordless Stick Vacuum", "149.99"),
        P("Bagless Upright Vacuum", "129.99"),
        P("Robot Vacuum", "249.99"),
        P("Tower Fan, 42 in", "54.99"),
        P("Oscillating Desk Fan, 12 in", "24.99"),
        P("Ceramic Space Heater", "39.99"),
        P("Cool Mist Humidifier", "34.99"),
        P("HEPA Air Purifier", "99.99", ["Small Room", ("Large Room", "179.99")]),
        P("Hair Dryer, 1875 W", "29.99"),
        P("Electric Can Opener", "19.99"),
        P("Hot Air Popcorn Popper", "24.99"),
        P("Electric Wine Opener", "24.99"),
        P("Espresso Machine, 15 Bar", "149.99", code="ean13:800"),
        P("Milk Frother, Handheld", "12.99"),
    ],
    "electronics": [
        P("AA Alkaline Batteries, {}-pack", "4.99", ["4", ("8", "7.99"), ("24", "17.99")]),
        P("AAA Alkaline Batteries, {}-pack", "4.99", ["4", ("8", "7.99"), ("24", "17.99")]),
        P("9V Alkaline Batteries, 2-pack", "7.99"),
        P("CR2032 Lithium Coin Batteries, 4-pack", "6.99"),
        P("USB-C Charging Cable", "9.99", ["3 ft", ("6 ft", "12.99"), ("10 ft", "14.99")]),
        P("Lightning to USB Cable, 6 ft", "14.99"),
        P("USB-C Wall Charger, 20 W", "14.99"),
        P("Dual-Port Car Charger", "12.99"),
        P("Portable Power Bank", "24.99", ["10,000 mAh", ("20,000 mAh", "39.99")]),
        P("Wireless Charging Pad, 15 W", "19.99"),
        P("True Wireless Earbuds", "49.99", ["White", "Black"]),
        P("Over-Ear Bluetooth Headphones", "79.99"),
        P("Wired Earbuds with Mic", "9.99"),
        P("Portable Bluetooth Speaker", "39.99", ["Blue", "Black"]),
        P("Smart Speaker with Voice Assistant", "49.99"),
        P("4K Streaming Media Stick", "49.99"),
        P("HDMI Cable", "9.99", ["6 ft", ("12 ft", "14.99")]),
        P("Universal TV Remote", "12.99"),
        P("Tilting TV Wall Mount, 32-70 in", "34.99"),
        P("LED TV", "149.99", ["32 in HD", ("43 in 4K", "249.99"), ("55 in 4K", "379.99"), ("65 in 4K", "499.99")]),
        P("Android Tablet, 10.1 in, 64 GB", "149.99", ["Black", "Silver"]),
        P("Prepaid Smartphone, 64 GB", "99.99"),
        P("Wireless Mouse", "14.99"),
        P("Bluetooth Keyboard", "29.99"),
        P("Wired Keyboard and Mouse Combo", "24.99"),
        P("USB Flash Drive", "7.99", ["32 GB", ("64 GB", "11.99"), ("128 GB", "17.99")]),
        P("microSD Card with Adapter", "12.99", ["64 GB", ("128 GB", "19.99"), ("256 GB", "32.99")]),
        P("Portable SSD, 1 TB", "89.99"),
        P("1080p Webcam", "39.99"),
        P("Surge Protector", "12.99", ["6 Outlet, 4 ft", ("12 Outlet, 8 ft", "24.99")]),
        P("Clear Phone Case", "14.99", ["for 6.1 in Phones", "for 6.7 in Phones"]),
        P("Tempered Glass Screen Protector, 2-Pack", "12.99", ["6.1 in", "6.7 in"]),
        P("Digital Alarm Clock", "14.99"),
        P("Smartwatch", "129.99", ["Black", "Rose Gold"]),
        P("Fitness Tracker", "49.99"),
        P("Instant Camera", "69.99", code="ean13:490"),
        P("Instant Film, 20 Exposures", "16.99", code="ean13:490"),
    ],
    "toys-games": [
        P("Wooden Building Blocks, 100-Piece", "24.99", code="ean13:400"),
        P("Construction Brick Set", "19.99", ["300-Piece", ("750-Piece", "39.99"), ("1,500-Piece", "69.99")]),
        P("Jigsaw Puzzle, 1,000 Pieces", "14.99", ["Mountain Lake", "City at Night", "Vintage Maps"]),
        P("Jigsaw Puzzle, 500 Pieces", "12.99", ["Garden Birds", "Farmers Market"]),
        P("Property Trading Board Game", "19.99"),
        P("Word Tile Game", "16.99"),
        P("Family Trivia Game", "24.99"),
        P("Chess and Checkers Set", "14.99"),
        P("Playing Cards, 2-Deck", "5.99"),
        P("Dominoes, Double Six", "9.99"),
        P("Party Card Game", "19.99"),
        P("Career Fashion Doll", "9.99", ["Doctor", "Astronaut", "Chef"]),
        P("Plush Bear, 12 in", "12.99", ["Brown", "Cream"]),
        P("Plush Unicorn, 16 in", "16.99"),
        P("Die-Cast Cars, 5-Pack", "5.99"),
        P("Remote Control Car, 1:18", "29.99"),
        P("Toy Dump Truck", "19.99"),
        P("Double-Sided Art Easel", "49.99"),
        P("Washable Markers, 10-Count", "3.99"),
        P("Modeling Dough, 10-Pack", "7.99"),
        P("Bubble Solution, 32 oz", "3.99"),
        P("Foam Dart Blaster", "19.99"),
        P("Foam Darts Refill, 30-Pack", "7.99"),
        P("Piñata", "14.99", ["Star", ("Donkey", "16.99"), ("Unicorn", "16.99")], code="ean13:750"),
        P("Kids' Kick Scooter", "39.99", ["Blue", "Pink"]),
        P("Sidewalk Chalk, 20-Count", "4.99"),
        P("Water Balloons, 250-Count", "6.99"),
        P("Baby Stacking Cups", "6.99"),
        P("Shape Sorter", "12.99"),
        P("Crystal Growing Science Kit", "19.99"),
        P("Magnetic Tiles, 60-Piece", "44.99"),
        P("Yo-Yo, Ball Bearing", "4.49", code="ean8:690"),
    ],
    "sporting-goods": [
        P("Yoga Mat, 6 mm", "24.99", ["Purple", "Teal", "Black"]),
        P("Neoprene Dumbbell", "7.99", ["3 lb", ("5 lb", "10.99"), ("8 lb", "14.99"), ("10 lb", "17.99")]),
        P("Cast Iron Kettlebell", "24.99", ["15 lb", ("25 lb", "36.99")]),
        P("Resistance Bands, Set of 5", "14.99"),
        P("Foam Roller, 18 in", "16.99"),
        P("Basketball, Official Size 7", "24.99"),
        P("Soccer Ball", "19.99", ["Size 5", ("Size 4", "17.99")]),
        P("Football, Official Size", "22.99"),
        P("Indoor/Outdoor Volleyball", "19.99"),
        P("Baseball Glove, 11.5 in", "34.99", ["Right-Hand Throw", "Left-Hand Throw"]),
        P("Tennis Balls, 3-Can", "4.99"),
        P("Aluminum Tennis Racquet", "49.99"),
        P("Pickleball Paddle Set with 4 Balls", "39.99"),
        P("Golf Balls, 12-Pack", "19.99"),
        P("Dome Camping Tent", "59.99", ["2-Person", ("4-Person", "99.99")]),
        P("Sleeping Bag, 40°F", "39.99"),
        P("Folding Camp Chair", "19.99"),
        P("LED Camping Lantern", "19.99"),
        P("Insulated Cooler", "34.99", ["28 qt", ("48 qt", "49.99")]),
        P("Bike Helmet", "29.99", ["Youth", "Adult S/M", "Adult L/XL"]),
        P("Cable Bike Lock, 6 ft", "14.99"),
        P("Bike Inner Tube", "7.99", ["26 in", "27.5 in", "700c"]),
        P("Spinning Rod and Reel Combo", "39.99"),
        P("Monofilament Fishing Line, 300 yd", "6.99", ["8 lb Test", "12 lb Test"]),
        P("Sport Squeeze Bottle, 24 oz", "4.99"),
        P("Sport Duffel Bag", "24.99"),
        P("Swim Goggles", "9.99", ["Adult", "Kids'"]),
        P("Pool Noodle", "2.99"),
        P("Ab Roller Wheel", "14.99"),
        P("Speed Jump Rope", "9.99"),
    ],
    "health-beauty": [
        P("Ibuprofen 200 mg", "4.99", ["50 Tablets", ("100 Tablets", "7.99")], tax="N"),
        P("Acetaminophen 500 mg, 100 Caplets", "6.49", tax="N"),
        P("Loratadine 10 mg Allergy Relief, 30 Tablets", "9.99", tax="N"),
        P("Nighttime Cold & Flu Relief, 12 fl oz", "8.99", tax="N"),
        P("Antacid Chewable Tablets, 96-Count", "6.99", tax="N"),
        P("Digital Thermometer", "9.99", tax="N"),
        P("Upper Arm Blood Pressure Monitor", "39.99", tax="N"),
        P("Daily Multivitamin, 100 Tablets", "9.99"),
        P("Adhesive Bandages, Assorted, 100-Count", "5.99"),
        P("First Aid Kit, 160-Piece", "19.99"),
        P("Reading Glasses", "12.99", ["+1.50", "+2.00", "+2.50"]),
        P("Shampoo, 28 fl oz", "5.99", ["Moisturizing", "Clarifying"]),
        P("Conditioner, 28 fl oz", "5.99", ["Moisturizing", "Clarifying"]),
        P("Body Wash, 22 fl oz", "4.99", ["Shea Butter", "Eucalyptus Mint"]),
        P("Bar Soap, 8-Pack", "6.99"),
        P("Deodorant, 2.6 oz", "4.49", ["Unscented", "Fresh Scent"]),
        P("Whitening Toothpaste, 4.8 oz", "3.49"),
        P("Soft Toothbrushes, 4-Pack", "4.99"),
        P("Rechargeable Electric Toothbrush", "39.99"),
        P("Mint Dental Floss, 55 yd", "2.99", code="ean8:500"),
        P("Antiseptic Mouthwash, 1 L", "5.49"),
        P("Disposable Razors, 12-Pack", "8.99"),
        P("Shaving Cream, 10 oz", "2.99"),
        P("Daily Facial Moisturizer SPF 30, 4 fl oz", "12.99"),
        P("Micellar Cleansing Water, 13.5 fl oz", "7.99", code="ean13:300"),
        P("Sunscreen Lotion, 8 fl oz", "8.99", ["SPF 30", ("SPF 50", "9.99")]),
        P("Lip Balm, 3-Pack", "3.99", code="ean8:400"),
        P("Cotton Swabs, 500-Count", "3.49"),
        P("Cotton Rounds, 100-Count", "2.49"),
        P("Shea Hand Cream, 3 oz", "4.99", code="ean13:301"),
        P("Hydrating Night Crème, 1.7 oz", "14.99", code="ean13:301"),
        P("Nail Clipper Set", "6.99"),
        P("Hair Ties, 30-Pack", "3.99"),
        P("Makeup Sponges, 4-Pack", "6.99"),
        P("Unscented Body Lotion, 16 fl oz", "7.49"),
    ],
    "grocery": [
        P("{} Kettle Chips, 8 oz", "3.99", ["Sea Salt", "Jalapeño", "Salt & Vinegar", "Barbecue"]),
        P("Restaurant Style Tortilla Chips, 13 oz", "3.49"),
        P("Medium Salsa, 16 oz", "3.29"),
        P("Butter Microwave Popcorn, 6-Pack", "4.49"),
        P("Lightly Salted Mixed Nuts, 16 oz", "8.99"),
        P("Trail Mix, 26 oz", "7.99"),
        P("Chewy Granola Bars, 12-Count", "3.99", ["Oats & Honey", "Chocolate Chip"]),
        P("Creamy Peanut Butter, 16 oz", "2.99"),
        P("Strawberry Jam, 18 oz", "3.49"),
        P("Medium Roast Ground Coffee, 12 oz", "7.99"),
        P("Café Mocha Coffee Pods, 12-Count", "8.99"),
        P("Black Tea Bags, 100-Count", "4.49"),
        P("Green Tea Bags, 40-Count", "3.49"),
        P("Spring Water, 24-Pack, 16.9 fl oz", "4.99"),
        P("Lime Sparkling Water, 8-Pack", "4.49"),
        P("Cola, 12-Pack, 12 fl oz Cans", "6.99", tax="A"),
        P("Lemon-Lime Soda, 2 L", "2.29", tax="A"),
        P("Energy Drink, 16 fl oz", "2.99", tax="A"),
        P("Sports Drink, 28 fl oz", "1.49", ["Fruit Punch", "Glacier Freeze"], tax="A"),
        P("Milk Chocolate Bar, 1.55 oz", "1.29", tax="A", code="ean8:500"),
        P("Peppermint Gum, 15 Sticks", "1.49", tax="A", code="ean8:690"),
        P("Gummy Bears, 5 oz", "1.99", tax="A", code="ean13:400"),
        P("Assorted Chocolates Gift Box, 8 oz", "12.99", tax="A", code="ean13:541"),
        P("{}, 16 oz", "1.49", ["Spaghetti", "Penne Rigate", "Farfalle"], code="ean13:800"),
        P("Marinara Sauce, 24 oz", "3.49"),
        P("Extra Virgin Olive Oil, 500 ml", "8.99", code="ean13:841"),
        P("Long Grain White Rice, 2 lb", "2.49"),
        P("Chicken Noodle Soup, 10.75 oz", "1.29"),
        P("Macaroni & Cheese, 7.25 oz", "1.19"),
        P("Honey Oat Clusters Cereal, 14.5 oz", "3.99"),
        P("Instant Oatmeal Variety Pack, 10-Count", "3.49"),
        P("Peanut Butter Sandwich Crackers, 8-Pack", "3.29"),
        P("Original Beef Jerky, 3.25 oz", "6.99"),
        P("Dried Mango Slices, 6 oz", "4.49"),
        P("Açaí Berry Juice, 32 fl oz", "5.99"),
        P("Jalapeño Hot Sauce, 5 fl oz", "2.99"),
        P("Dark Chocolate Sea Salt Almonds, 7 oz", "5.99", tax="A"),
    ],
    "household": [
        P("Paper Towels, 6 Double Rolls", "9.99"),
        P("Bath Tissue, 12 Mega Rolls", "12.99"),
        P("Facial Tissues, 3-Pack", "4.99"),
        P("Liquid Laundry Detergent, 100 fl oz", "11.99", ["Fresh Scent", "Free & Clear"]),
        P("Laundry Detergent Pods, 42-Count", "12.99"),
        P("Fabric Softener Sheets, 120-Count", "5.99"),
        P("Dish Soap, 19.4 fl oz", "2.99", ["Original", "Lemon"]),
        P("Dishwasher Detergent Pacs, 48-Count", "11.99"),
        P("All-Purpose Cleaner, 32 fl oz", "3.49"),
        P("Glass Cleaner, 32 fl oz", "3.29"),
        P("Disinfecting Wipes, 75-Count", "4.99", ["Lemon", "Fresh Scent"]),
        P("Regular Bleach, 81 fl oz", "4.49"),
        P("Toilet Bowl Cleaner, 24 fl oz", "2.99"),
        P("Non-Scratch Sponges, 6-Pack", "3.99"),
        P("Tall Kitchen Trash Bags, 13 gal, 80-Count", "12.99"),
        P("Heavy Duty Trash Bags, 33 gal, 40-Count", "13.99"),
        P("Zipper Storage Bags", "3.99", ["Sandwich, 100-Count", "Quart, 50-Count", ("Gallon, 35-Count", "4.49")]),
        P("Aluminum Foil, 75 sq ft", "4.49"),
        P("Plastic Wrap, 200 sq ft", "3.49"),
        P("Parchment Paper, 45 sq ft", "3.99"),
        P("Microfiber Cleaning Cloths, 12-Pack", "9.99"),
        P("Spin Mop and Bucket Set", "34.99"),
        P("Broom and Dustpan Set", "14.99"),
        P("Latex-Free Rubber Gloves", "2.99", ["Medium", "Large"]),
        P("Air Freshener Spray, 8.8 oz", "2.99", ["Clean Linen", "Lavender"]),
        P("Plug-In Air Freshener Refills, 2-Pack", "5.99"),
        P("Clothes Hangers, 20-Pack", "9.99", ["Plastic, White", ("Velvet, Black", "15.99")]),
        P("Laundry Basket, 1.5 bu", "7.99"),
        P("Storage Bin with Lid, 18 gal", "9.99"),
        P("Paper Plates, 9 in, 100-Count", "6.99"),
        P("Plastic Cutlery, 144-Count", "5.99"),
        P("Paper Cups, 12 oz, 50-Count", "4.99"),
        P("Lint Roller, 3-Pack", "5.99"),
    ],
    "hardware": [
        P("Claw Hammer, 16 oz", "14.99"),
        P("Screwdriver Set, 10-Piece", "12.99"),
        P("20 V Cordless Drill/Driver with Battery", "79.99"),
        P("Drill Bit Set, 29-Piece", "19.99", code="ean13:400"),
        P("Adjustable Wrench", "9.99", ["8 in", ("10 in", "12.99")]),
        P("Socket Set, 40-Piece, SAE/Metric", "29.99"),
        P("Tape Measure, 25 ft", "9.99"),
        P("Utility Knife with 5 Blades", "6.99"),
        P("Pliers, 6 in", "7.99", ["Slip-Joint", ("Needle-Nose", "8.99")]),
        P("Electronic Stud Finder", "19.99"),
        P("Torpedo Level, 9 in", "6.99"),
        P("Duct Tape, 1.88 in x 60 yd", "6.49", ["Silver", "Black"]),
        P("Painter's Tape, 1.41 in x 60 yd", "5.99"),
        P("Electrical Tape, 3/4 in x 60 ft", "1.99"),
        P("Super Glue, 2 g, 2-Pack", "3.99", code="ean8:400"),
        P("Wood Screws, #8 x 1-1/4 in, 100-Count", "5.99"),
        P("Picture Hanging Kit, 217-Piece", "9.99"),
        P("Indoor Extension Cord", "5.99", ["6 ft", ("15 ft", "9.99")]),
        P("Outdoor Extension Cord, 50 ft", "24.99"),
        P("LED Light Bulbs, A19, 60 W Equivalent, 4-Pack", "9.99", ["Soft White", "Daylight"]),
        P("LED Flashlight, 500 Lumens", "14.99"),
        P("Rechargeable Headlamp", "19.99"),
        P("Battery-Operated Smoke Detector", "14.99"),
        P("Carbon Monoxide Alarm", "29.99"),
        P("Keyed Padlock, 40 mm", "9.99"),
        P("Leather Palm Work Gloves", "9.99", ["Medium", "Large", "X-Large"]),
        P("Clear Safety Glasses", "4.99"),
        P("Paint Roller Kit, 9 in", "9.99"),
        P("Interior Paint, Eggshell, 1 gal", "29.99", ["Warm White", "Pale Gray", "Sage"]),
        P("Spackling Compound, 8 oz", "4.99"),
        P("Sandpaper Assortment, 20 Sheets", "7.99"),
        P("Zip Ties, 8 in, 100-Pack", "4.99"),
        P("Multi-Use Lubricant Spray, 8 oz", "5.99"),
        P("Nylon Rope, 1/2 in, per ft", "0.99", code="none"),
        P("Zinc-Plated Chain, 3/16 in, per ft", "1.49", code="none"),
    ],
    "office-school": [
        P("Copy Paper, Letter", "7.99", ["500 Sheets", ("Case of 10 Reams", "49.99")]),
        P("Spiral Notebook, College Ruled, 70 Sheets", "1.49", ["Red", "Blue", "Green"]),
        P("Composition Notebook, Wide Ruled", "1.99"),
        P("#2 Pencils, 24-Count", "3.99"),
        P("Ballpoint Pens, Black, 12-Count", "3.49"),
        P("Gel Pens, Assorted Colors, 10-Count", "7.99"),
        P("Highlighters, 5-Count", "3.99"),
        P("Fine Point Permanent Markers, 12-Count", "8.99"),
        P("Dry Erase Markers, 4-Count", "5.99"),
        P("Sticky Notes, 3 x 3 in, 12-Pack", "9.99"),
        P("Desktop Stapler", "9.99"),
        P("Standard Staples, 5,000-Count", "2.99"),
        P("Scissors, 8 in", "4.99"),
        P("Clear Tape with Dispenser, 3-Pack", "5.49"),
        P("Glue Sticks, 12-Pack", "5.99"),
        P("3-Ring Binder", "3.99", ["1 in", ("2 in", "5.99")], ["Black", "White"]),
        P("Two-Pocket Folders, 6-Pack", "2.99"),
        P("Index Cards, 3 x 5 in, 100-Count", "1.29", code="ean8:871"),
        P("Backpack, 17 in", "29.99", ["Black", "Navy", "Galaxy Print"]),
        P("Insulated Lunch Box", "12.99", ["Blue", "Pink"]),
        P("Scientific Calculator", "14.99"),
        P("Graphing Calculator", "119.99"),
        P("Mesh Desk Organizer", "12.99"),
        P("LED Desk Lamp with USB Port", "29.99"),
        P("Padded Shipping Envelopes, 10-Pack", "8.99"),
        P("Packing Tape, 2 in x 55 yd, 2-Pack", "6.99"),
        P("Laminating Pouches, 50-Pack", "9.99"),
        P("Undated Weekly Planner", "14.99"),
        P("Dry Erase Whiteboard, 17 x 23 in", "19.99"),
        P("Zippered Pencil Case", "3.99"),
        P("Colored Pencils, 24-Count", "4.99", code="ean13:400"),
        P("Washable Crayons, 24-Count", "1.99"),
        P("Rulers, 12 in, 2-Pack", "1.99"),
    ],
    "garden": [
        P("Potting Mix, 8 qt", "6.99"),
        P("Garden Soil, 1 cu ft", "7.99"),
        P("Brown Mulch, 2 cu ft", "4.49"),
        P("All-Purpose Plant Food, 1.5 lb", "9.99"),
        P("Terracotta Pot", "3.49", ["6 in", ("10 in", "8.99"), ("14 in", "16.99")], code="ean13:800"),
        P("Self-Watering Planter, 12 in", "14.99", ["White", "Charcoal"]),
        P("Garden Hose, 50 ft", "29.99"),
        P("8-Pattern Hose Nozzle", "7.99"),
        P("Oscillating Sprinkler", "14.99"),
        P("Hand Trowel", "6.99"),
        P("Bypass Pruning Shears", "14.99"),
        P("Women's Garden Gloves, M", "5.99"),
        P("Leaf Rake, 24 in", "17.99"),
        P("Round-Point Shovel", "24.99"),
        P("Watering Can, 2 gal", "12.99"),
        P("Seed Packet", "2.49", ["Cherry Tomato", "Genovese Basil", "Zucchini", "Sweet Pepper"]),
        P("Wild Bird Seed, 10 lb", "12.99"),
        P("Hummingbird Feeder", "12.99"),
        P("Tube Bird Feeder", "14.99"),
        P("Solar Path Lights, 6-Pack", "24.99"),
        P("Outdoor String Lights, 48 ft", "34.99"),
        P("Citronella Candle, 17 oz Bucket", "9.99"),
        P("Insect Repellent Spray, 6 oz", "7.99"),
        P("Charcoal Briquets, 15.4 lb", "14.99"),
        P("Grill Brush", "9.99"),
        P("Grill Cover, 58 in", "24.99"),
        P("Patio Chair Cushion", "19.99", ["Navy", "Terracotta"]),
        P("Resin Adirondack Chair", "39.99", ["White", "Gray"]),
        P("Coir Doormat, 18 x 30 in", "14.99"),
        P("Snow Shovel, 18 in", "24.99"),
        P("Ice Melt, 20 lb", "12.99"),
        P("Lawn Fertilizer, 5,000 sq ft", "24.99"),
        P("Sun & Shade Grass Seed, 3 lb", "16.99"),
        P("Ready-to-Use Weed Killer, 1 gal", "12.99"),
    ],
    "pet": [
        P("Chicken & Rice Dry Dog Food", "11.99", ["5 lb", ("15 lb", "27.99"), ("30 lb", "44.99")]),
        P("Salmon Dry Cat Food", "8.99", ["3.5 lb", ("16 lb", "29.99")]),
        P("Wet Cat Food, {} Pâté, 3 oz", "0.99", ["Chicken", "Tuna"]),
        P("Wet Dog Food, Beef Stew, 13.2 oz", "2.49"),
        P("Dog Training Treats, 6 oz", "5.99"),
        P("Dental Chews, Medium, 10-Count", "9.99"),
        P("Rawhide-Free Chew Sticks, 12-Count", "8.99"),
        P("Salmon Cat Treats, 3 oz", "2.99"),
        P("Unscented Clumping Cat Litter", "9.99", ["14 lb", ("28 lb", "16.99")]),
        P("Litter Box with Rim", "14.99"),
        P("Litter Scoop", "3.99"),
        P("Adjustable Nylon Dog Collar", "7.99", ["S", "M", "L"]),
        P("Dog Leash, 6 ft", "9.99", ["Black", "Red"]),
        P("Retractable Leash, 16 ft", "19.99"),
        P("No-Pull Dog Harness", "19.99", ["S", "M", "L"]),
        P("Orthopedic Dog Bed", "39.99", ["Medium", ("Large", "59.99")]),
        P("Stainless Steel Pet Bowl", "4.99", ["1 Cup", ("3 Cup", "7.99")]),
        P("Rope Tug Toy", "6.99"),
        P("Squeaky Plush Toy, Fox", "7.99"),
        P("Tennis Balls for Dogs, 3-Pack", "4.99"),
        P("Cat Scratching Post, 24 in", "19.99"),
        P("Catnip Mice, 3-Pack", "3.99"),
        P("Feather Wand Cat Toy", "4.99"),
        P("Dog Poop Bags, 8 Rolls, 120-Count", "5.99"),
        P("Puppy Training Pads, 50-Count", "14.99"),
        P("Flea & Tick Collar for Dogs", "24.99"),
        P("Pet Stain & Odor Remover, 32 fl oz", "8.99"),
        P("Aquarium Starter Kit, 10 gal", "59.99"),
        P("Tropical Fish Flakes, 2.2 oz", "5.49", code="ean13:400"),
        P("Small Animal Bedding, 24 L", "12.99"),
        P("Timothy Hay, 48 oz", "11.99"),
        P("Slicker Grooming Brush", "9.99"),
    ],
    "services": [
        P(
            "Gift Card, {}, {}",
            "10.00",
            ["Classic", "Birthday", "Thank You", "Holiday"],
            ["$10", ("$25", "25.00"), ("$50", "50.00"), ("$100", "100.00")],
        ),
        P("Key Duplication, Standard House Key", "2.99", tax="A", code="none"),
        P("Key Duplication, Car Key (No Chip)", "5.99", tax="A", code="none"),
        P("Key Duplication, Transponder Car Key", "69.99", tax="A", code="none"),
        P("Gift Wrap Service", "3.99", ["Small Box", ("Large Box", "6.99")], tax="A", code="none"),
        P("Watch Battery Replacement", "9.99", tax="A", code="none"),
        P("Pants Hemming", "12.00", code="none"),
        P("Product Assembly", "19.99", ["Small Item", ("Furniture", "49.99")], code="none"),
        P("Screen Protector Installation", "4.99", code="none"),
        P(
            "2-Year Protection Plan",
            "9.99",
            ["Items $50-$99.99", ("Items $100-$249.99", "24.99"), ("Items $250-$499.99", "39.99")],
            code="none",
        ),
        P("Photo Prints, 4 x 6 in, 25 Prints", "4.99", tax="A", code="none"),
        P("Propane Tank Exchange, 20 lb", "22.99", tax="A", code="none"),
    ],
}


def _read_categories(path: Path = CATEGORIES_CSV) -> dict[str, str]:
    """Category id -> default tax code, in file order."""
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["id"]: row["tax_code"] for row in csv.DictReader(fh)}


def _variants(product: P) -> list[tuple[str, Decimal]]:
    """(name, price) of each item of a product family, in a stable order."""
    combos: list[list[tuple[str, str | None]]] = [[]]
    for axis in product.axes:
        entries = [(v, None) if isinstance(v, str) else v for v in axis]
        combos = [c + [e] for c in combos for e in entries]
    out = []
    for combo in combos:
        labels = [label for label, _ in combo]
        price = Decimal(product.price)
        for _, p in combo:  # absolute prices first, then additions
            if p is not None and not p.startswith("+"):
                price = Decimal(p)
        for _, p in combo:
            if p is not None and p.startswith("+"):
                price += Decimal(p[1:])
        name = product.name.format(*labels) if "{}" in product.name else ", ".join([product.name, *labels])
        out.append((name, price))
    return out


class _Barcodes:
    """Hands out unique, valid GTINs: consecutive item references per product family."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()  # GTIN-14 form, so a UPC-A and an EAN-13 never collide
        self.upc_companies: dict[str, list[str]] = {}

    def _company_upc(self, category_id: str) -> str:
        # Two house-brand suppliers per category: 6-digit UPC company prefixes in GS1 US
        # ranges, away from restricted (02x, 04x) and coupon (05x) number systems.
        if category_id not in self.upc_companies:
            companies = []
            for _ in range(2):
                first = self.rng.choice("0678")
                if first == "0":
                    first += self.rng.choice("136789")
                rest = "".join(self.rng.choice("0123456789") for _ in range(6 - len(first)))
                companies.append(first + rest)
            self.upc_companies[category_id] = companies
        return self.rng.choice(self.upc_companies[category_id])

    def _payloads(self, code: str, category_id: str, count: int) -> list[str]:
        kind, _, prefix = code.partition(":")
        if kind == "upc":
            head, ref_len = self._company_upc(category_id), 5
        elif kind == "ean13":
            head, ref_len = prefix + "".join(self.rng.choice("0123456789") for _ in range(4)), 5
        elif kind == "ean8":
            head, ref_len = prefix, 4
        else:
            raise ValueError(f"unknown barcode kind {code!r}")
        start = self.rng.randrange(0, 10**ref_len - count)
        return [head + f"{start + i:0{ref_len}d}" for i in range(count)]

    def family(self, code: str, category_id: str, count: int) -> list[str]:
        if code == "none":
            return [""] * count
        while True:
            payloads = self._payloads(code, category_id, count)
            codes = [p + str(gs1_standard_check_digit(p)) for p in payloads]
            canon = [c.zfill(14) for c in codes]
            if not self.seen.intersection(canon):
                break
        for c in codes:
            gtin = biip.parse(c).gtin
            if gtin is None or gtin.value != c:
                raise AssertionError(f"generated an invalid GTIN {c}")
        self.seen.update(canon)
        return codes


def build_rows(categories: dict[str, str]) -> list[dict[str, str]]:
    if set(categories) != set(PRODUCTS) or set(categories) != set(SKU_PREFIX):
        raise ValueError("categories.csv, PRODUCTS and SKU_PREFIX must list the same categories")
    rng = random.Random(SEED)
    barcodes = _Barcodes(rng)
    rows: list[dict[str, str]] = []
    for category_id, default_tax in categories.items():
        number = rng.randint(1, 20)
        for product in PRODUCTS[category_id]:
            variants = _variants(product)
            codes = barcodes.family(product.code, category_id, len(variants))
            for (name, price), barcode in zip(variants, codes, strict=True):
                rows.append(
                    {
                        "sku": f"{SKU_PREFIX[category_id]}-{number:05d}",
                        "barcode": barcode,
                        "name": name,
                        "category_id": category_id,
                        "price": f"{price:.2f}",
                        "tax_code": product.tax or default_tax,
                    }
                )
                number += rng.randint(1, 4)
    return rows


def main(out_path: Path | str = CATALOG_CSV) -> int:
    """Write the catalog to ``out_path``; return the number of items written."""
    rows = build_rows(_read_categories())
    with Path(out_path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CATALOG_CSV
    print(f"wrote {main(target)} items to {target}")
