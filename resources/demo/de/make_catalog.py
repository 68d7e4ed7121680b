"""Write the German demo store's catalog.csv and categories.csv (resources/demo/de).

Run from the repository root: ``python -m resources.demo.de.make_catalog``. The output is
fixed (no randomness): the same files every time. Prices are gross (VAT included), as
German shelf prices are; the tax code is the category's: A 19 %, B 7 % (food, books,
newspapers and magazines), N 0 % (gift vouchers, taxed when they are spent).

Barcodes are EAN-13 with a German GS1 prefix (400-440) and a fictional company number,
each with its check digit computed here.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPANY = "4012345"  # GS1 Germany range, fictional company prefix; 5 digits of item number follow

#: id, name, tax code, return days, final sale, receipt required, restocking fee percent,
#: SKU prefix, items (name, gross price in EUR)
# fmt: off
CATEGORIES: tuple[tuple[str, str, str, int, bool, bool, int, str, tuple[tuple[str, str], ...]], ...] = (
    ("bekleidung", "Bekleidung", "A", 30, False, False, 0, "BEK", (
        ("Herren-T-Shirt Rundhals, Marine, M", "9.99"),
        ("Herren-T-Shirt Rundhals, Marine, L", "9.99"),
        ("Herren-T-Shirt Rundhals, Grau meliert, XL", "9.99"),
        ("Damen-Bluse Leinen, Weiß, 38", "34.99"),
        ("Damen-Bluse Leinen, Weiß, 40", "34.99"),
        ("Herren-Jeans Regular Fit, Blau, 32/32", "49.99"),
        ("Damen-Jeans Slim Fit, Schwarz, 38", "49.99"),
        ("Strickpullover Wolle, Anthrazit, L", "59.99"),
        ("Regenjacke Friesennerz, Gelb, M", "79.99"),
        ("Socken Baumwolle, 5er-Pack, 39-42", "12.99"),
        ("Socken Baumwolle, 5er-Pack, 43-46", "12.99"),
        ("Schal Fleece, Dunkelblau", "14.99"),
        ("Strickmütze Fischerhut, Rot", "17.49"),
        ("Kinder-Regenhose, 110/116", "19.99"),
        ("Gürtel Rindleder, Braun, 95 cm", "24.99"),
    )),
    ("haushalt", "Haushalt & Küche", "A", 60, False, False, 0, "HAU", (
        ("Kaffeebecher Steingut, 350 ml", "6.99"),
        ("Teller flach, Porzellan, 27 cm", "7.49"),
        ("Gläserset Wasser, 6 Stück", "19.99"),
        ("Bratpfanne Edelstahl, 28 cm", "39.99"),
        ("Kochtopf mit Deckel, 20 cm", "34.99"),
        ("Schneidebrett Buche, 40 x 25 cm", "16.99"),
        ("Küchenmesser Kochmesser, 20 cm", "29.99"),
        ("Geschirrtücher Halbleinen, 3er-Pack", "11.99"),
        ("Vorratsdosen Glas, 3er-Set", "14.49"),
        ("Thermoskanne 1 l, Edelstahl", "24.99"),
        ("Backform Springform, 26 cm", "12.99"),
        ("Spülbürste Holz mit Ersatzkopf", "4.99"),
        ("Frischhaltefolie 30 m", "2.49"),
        ("Müllbeutel 35 l, 40 Stück", "3.99"),
        ("Allzweckreiniger Zitrone, 1 l", "2.99"),
        ("Mikrofasertücher, 5er-Pack", "5.99"),
        ("Kerzen Stumpen, Weiß, 4er-Pack", "8.99"),
        ("Bettwäsche Renforcé, 135 x 200 cm", "44.99"),
    )),
    ("elektro", "Elektrokleingeräte", "A", 30, False, True, 0, "ELK", (
        ("Wasserkocher 1,7 l, Edelstahl", "34.99"),
        ("Toaster 2 Scheiben, Weiß", "29.99"),
        ("Kaffeemaschine Filter, 10 Tassen", "49.99"),
        ("Stabmixer 600 W mit Zubehör", "39.99"),
        ("Handmixer 400 W", "27.99"),
        ("Bügeleisen Dampf 2400 W", "44.99"),
        ("Föhn 2000 W, Schwarz", "29.99"),
        ("Elektrische Zahnbürste", "49.99"),
        ("LED-Leuchtmittel E27, 9 W, 3er-Pack", "9.99"),
        ("Verlängerungskabel 3-fach, 5 m", "12.99"),
        ("Powerbank 10.000 mAh", "24.99"),
        ("USB-C-Ladekabel, 1 m", "9.49"),
        ("Batterien AA, 8 Stück", "7.99"),
        ("Batterien AAA, 8 Stück", "7.99"),
        ("Radiowecker mit DAB+", "39.99"),
    )),
    ("lebensmittel", "Lebensmittel", "B", 0, True, False, 0, "LEB", (
        ("Vollkornbrot, 500 g", "2.49"),
        ("Butter, 250 g", "2.29"),
        ("Vollmilch 3,5 %, 1 l", "1.19"),
        ("Gouda mittelalt, 400 g", "3.99"),
        ("Kaffee gemahlen, 500 g", "6.99"),
        ("Schwarztee Ostfriesen, 250 g", "4.49"),
        ("Marzipanbrot, 200 g", "3.49"),
        ("Lübecker Marzipan, 100 g", "2.99"),
        ("Vollmilchschokolade, 100 g", "1.49"),
        ("Gummibärchen, 200 g", "1.29"),
        ("Salzstangen, 250 g", "1.19"),
        ("Bio-Äpfel, 1 kg", "3.49"),
        ("Bananen, 1 kg", "1.99"),
        ("Spaghetti, 500 g", "1.29"),
        ("Tomatensauce Basilikum, 400 g", "1.99"),
        ("Haferflocken kernig, 500 g", "0.99"),
        ("Honig Blüte, 500 g", "5.49"),
        ("Erdbeerkonfitüre, 450 g", "2.79"),
        ("Bratheringe, 500 g", "3.29"),
        ("Franzbrötchen, 2 Stück", "2.98"),
    )),
    ("buecher", "Bücher", "B", 14, False, True, 0, "BUC", (
        ("Kochbuch: Norddeutsche Küche", "24.00"),
        ("Reiseführer Hamburg", "16.99"),
        ("Roman: Die Speicherstadt", "22.00"),
        ("Krimi: Nebel über der Elbe", "12.00"),
        ("Kinderbuch: Der kleine Leuchtturm", "14.95"),
        ("Wanderkarte Lüneburger Heide", "9.95"),
        ("Duden Rechtschreibung", "28.00"),
        ("Malbuch Tiere, ab 4 Jahren", "6.99"),
        ("Taschenbuch: Gedichte vom Meer", "10.00"),
        ("Bildband Nordseeküste", "39.95"),
        ("Rätselbuch Sudoku, 300 Rätsel", "7.99"),
        ("Vokabelheft Englisch A1", "8.50"),
    )),
    ("zeitschriften", "Zeitungen & Zeitschriften", "B", 0, True, False, 0, "ZEI", (
        ("Tageszeitung Hamburger Morgen", "2.90"),
        ("Wochenzeitung Die Woche", "6.50"),
        ("Magazin Wohnen & Garten", "4.90"),
        ("Magazin Kochen heute", "3.99"),
        ("Rätselheft Kreuzworträtsel", "2.20"),
        ("Computermagazin c’t-Praxis", "6.90"),
        ("Kinderzeitschrift Fuchs & Hase", "3.99"),
        ("Segelmagazin Luv & Lee", "7.90"),
    )),
    ("spielwaren", "Spielwaren", "A", 60, False, False, 0, "SPI", (
        ("Puzzle Hamburger Hafen, 1000 Teile", "14.99"),
        ("Brettspiel Hafenkapitän", "29.99"),
        ("Kartenspiel Skat, französisch", "4.99"),
        ("Holzeisenbahn Startset", "39.99"),
        ("Plüschtier Seehund, 30 cm", "19.99"),
        ("Bausteine Box, 500 Teile", "24.99"),
        ("Seifenblasen, 3 Stück", "2.99"),
        ("Malkreiden, 12 Farben", "5.49"),
        ("Wasserpistole", "7.99"),
        ("Springseil", "4.49"),
    )),
    ("drogerie", "Drogerie & Pflege", "A", 30, False, True, 0, "DRO", (
        ("Duschgel Meeresbrise, 250 ml", "1.95"),
        ("Shampoo Kamille, 300 ml", "2.95"),
        ("Zahnpasta Kräuter, 75 ml", "1.49"),
        ("Handcreme Urea, 100 ml", "3.49"),
        ("Sonnencreme LSF 30, 200 ml", "8.99"),
        ("Deo Roll-on, 50 ml", "2.29"),
        ("Taschentücher, 10 x 10 Stück", "1.99"),
        ("Wattepads, 120 Stück", "1.49"),
        ("Lippenpflegestift", "1.99"),
        ("Pflaster Sortiment, 20 Stück", "3.99"),
    )),
    ("schreibwaren", "Schreibwaren & Büro", "A", 30, False, False, 0, "SCH", (
        ("Kugelschreiber blau, 10er-Pack", "4.99"),
        ("Collegeblock A4, kariert", "2.99"),
        ("Ordner A4, breit, Blau", "3.49"),
        ("Textmarker, 4 Farben", "4.49"),
        ("Kalender 2027, Wandkalender", "12.99"),
        ("Briefumschläge DIN lang, 50 Stück", "3.99"),
        ("Klebestift, 40 g", "2.49"),
        ("Schere Büro, 21 cm", "5.99"),
        ("Glückwunschkarte Geburtstag", "2.95"),
        ("Geschenkpapier Rolle, 2 m", "3.49"),
    )),
    ("gutscheine", "Geschenkgutscheine", "N", 0, True, False, 0, "GUT", (
        ("Geschenkgutschein 10 €", "10.00"),
        ("Geschenkgutschein 25 €", "25.00"),
        ("Geschenkgutschein 50 €", "50.00"),
    )),
)
# fmt: on


def check_digit(first12: str) -> str:
    """The GS1 check digit: weights 1, 3, 1, 3 … from the left for 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def rows() -> tuple[list[list[str]], list[list[str]]]:
    categories = [["id", "name", "tax_code", "return_days", "final_sale", "receipt_required", "restocking_fee_percent"]]
    catalog = [["sku", "barcode", "name", "category_id", "price", "tax_code"]]
    serial = 0
    for cid, name, tax, days, final, receipt, fee, prefix, items in CATEGORIES:
        categories.append([cid, name, tax, str(days), str(final).lower(), str(receipt).lower(), str(fee)])
        for n, (item, price) in enumerate(items, start=1):
            serial += 1
            first12 = f"{COMPANY}{serial:05d}"
            catalog.append([f"{prefix}-{n:04d}", first12 + check_digit(first12), item, cid, price, tax])
    return categories, catalog


def write(folder: Path = HERE) -> None:
    categories, catalog = rows()
    for name, data in (("categories.csv", categories), ("catalog.csv", catalog)):
        with (folder / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(data)


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
