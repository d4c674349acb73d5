"""Sense checks catch what a marketer reading the copy would reject, and let real human copy through.

The failures are real outputs copyloop shipped before these checks existed (issue 13): mangled names, invented
brands and places, copy about another product, offers no brief made, prompt text, garbled words.
"""

from __future__ import annotations

import json

import pytest

from copyloop.brief import Brief, Channel
from copyloop.catalog import CATALOG_DIR, record_to_brief
from copyloop.tools.sense.checks import check_of, passes_sense, sense_failures, sense_findings, sense_reward
from copyloop.tools.sense.context import brief_context, derived_short_names, model_only_names, name_forms
from copyloop.tools.sense.repairs import repaired

TRAIL = Brief(product_name="TrailCool Insulated Steel Bottle", brand="TrailCool", category="Home & Kitchen > Drinkware",
              features=["750 ml double-wall stainless steel", "keeps drinks cold for 24 hours"],
              attributes={"color": "Slate"}, price=29, audience="hikers", channel="email_subject")
QUILT = Brief(product_name="Hearthside Cotton Quilt", brand="Hearthside", category="Home > Bedding > Quilts",
              features=["100% cotton", "machine washable"], channel="social_post")
LIPSTICK = Brief(product_name="Velvet Matte Lipstick Set", brand="Lumière", category="Beauty > Makeup > Lips",
                 features=["three matte shades", "long-wearing formula"], channel="push_notification")
JACKET = Brief(product_name="Barbour Women's Beadnell Wax Jacket", brand="Barbour",
               category="Clothing > Women > Coats & Jackets", channel="push_notification",
               features=["waxed cotton outer", "lined with Barbour tartan", "IP67 waterproof and dustproof",
                         "one-touch cleaning system", "holds Barbour charms", "double-wall vacuum insulation"])
HOODIE = Brief(product_name="Blue Hoodie", category="Clothing > Hoodies",
               attributes={"Material": "Cotton", "Size": "M, XXL, XL, S, L"}, price=5, channel="social_post")
COFFEE = Brief(product_name="Sunrise Cold Brew Coffee Concentrate", brand="Sunrise Roasters",
               category="Groceries > Coffee", channel="product_description", price=14.5,
               features=["1 litre bottle makes 8 cups", "single-origin Colombian beans", "smooth and low in acidity"])


BOOK = Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help", audience="readers",
             features=["hardcover edition", "written by James Clear",
                       "practical framework for building good habits and breaking bad ones"],
             attributes={"format": "Hardcover"}, channel="social_post")


@pytest.mark.parametrize(("brief", "text", "check"), [
    # shipped by `make demo` for the TrailCool bottle before sense checks existed
    (TRAIL, "Mirai's TrailCreek Double-Wall Stainless Steel - Buy Today", "name"),
    (TRAIL, "Mirai's TrailCreek Double-Wall Stainless Steel - Buy Today", "entity"),
    (TRAIL, "Why not just tell them, I'm ordering a TrailCycle - Buy Now", "name"),
    (TRAIL, "Why not just tell them, I'm ordering a TrailCycle - Buy Now", "first_person"),
    (TRAIL, "What's on the shelves? - Trailswarm Insulated - Order Now", "name"),
    (TRAIL, "Trail Cool keeps drinks cold for 24 hours - Shop Now", "name"),
    (TRAIL, "Trailcool bottle keeps drinks cold for 24 hours - Shop Now", "name"),
    # copy about another product
    (QUILT, "Meet the Hearthside Cotton Quilt. This lush mascara makes your lashes pop. Shop now.", "off_product"),
    (LIPSTICK, "The Velvet Matte Lipstick Set is a sweet ice cream cone for summer. Shop now.", "off_product"),
    # invented people, places, brands, stores, websites
    (QUILT, "The Hearthside Cotton Quilt follows Taylor Swift from Paris to London. Shop now.", "entity"),
    (TRAIL, "TrailCool Bottle, loved at Empire Roasters - Shop Now", "entity"),
    (TRAIL, "Like Nike, the TrailCool Bottle keeps drinks cold - Shop Now", "entity"),
    (LIPSTICK, "The Velvet Matte Lipstick Set is on Amazon now. Shop now.", "entity"),
    (LIPSTICK, "Find the Velvet Matte Lipstick Set at lumiere-beauty.com today. Shop now.", "entity"),
    # offers and claims no brief made
    (QUILT, "FREE Hearthside Cotton Quilt with every order, free today! Shop now.", "offer"),
    (QUILT, "The Hearthside Cotton Quilt is 20% off this week only. Shop now.", "offer"),
    (QUILT, "The Hearthside Cotton Quilt ships free to your door. Shop now.", "offer"),
    (QUILT, "The best-selling Hearthside Cotton Quilt will change your life. Shop now.", "claim"),
    (QUILT, "The Hearthside Cotton Quilt is made from recycled cotton. Shop now.", "claim"),
    # the prompt echoed back, placeholders, labels
    (TRAIL, "End with this promise: TrailCool Insulated Steel Bottle - Buy Now", "leak"),
    (TRAIL, "Subject: TrailCool Insulated Steel Bottle for hikers - Buy Now", "leak"),
    (TRAIL, "TrailCool Insulated Steel Bottle [link] - Buy Now", "leak"),
    (QUILT, "Here is your social post: the Hearthside Cotton Quilt is 100% cotton. [The End]", "leak"),
    # garbled words, sentences about nothing in the brief
    (QUILT, "The Hearthside Cotton Quilt wraps you in insolements of charbroon. Shop now.", "non_word"),
    (QUILT, "Meet the Hearthside Cotton Quilt. Fresh and tender from the mountains. Shop now.", "ungrounded"),
    # a fact in a frame its grammar does not fit (shipped on held-out products before fact frames were checked)
    (JACKET, "Meet the Barbour Women's Beadnell Wax Jacket. It also has lined with Barbour tartan. Shop now.",
     "disfluent"),
    (JACKET, "Meet the Barbour Women's Beadnell Wax Jacket. It comes with an IP67 waterproof and dustproof. Shop now.",
     "disfluent"),
    (JACKET, "Meet the Barbour Women's Beadnell Wax Jacket. It has one-touch cleaning system. Shop now.", "disfluent"),
    (JACKET, "Meet the Barbour Women's Beadnell Wax Jacket. It comes with Barbour charms. Shop now.", "disfluent"),
    (JACKET, "Meet the Barbour Women's Beadnell Wax Jacket. It also has a hold Barbour charms. Shop now.", "disfluent"),
    (JACKET, "Meet the Barbour Women's Beadnell Wax Jacket. It comes lined with Barbour tartan. Buy.", "disfluent"),
    # titles shipped on held-out products: a spec said twice in one line
    (Brief(product_name="Lavazza Super Crema Whole Bean Coffee Blend, Medium Roast, 2.2 lb", brand="Lavazza",
           category="Grocery > Coffee", features=["medium roast"], channel="product_title"),
     "Lavazza Super Crema Whole Bean Coffee Blend, Medium Roast, 2.2 lb, Medium Roast", "disfluent"),
    (Brief(product_name="Birkenstock Arizona Soft Footbed Suede Leather Sandal", brand="Birkenstock",
           category="Shoes > Sandals", features=["suede leather uppers"], channel="product_title"),
     "Birkenstock Arizona Soft Footbed Suede Leather Sandal, Suede Leather Uppers", "disfluent"),
    # shipped by the bench brief: adjectives said as a thing, "a" before a plural three words on
    (COFFEE, "Say hello to the Sunrise Cold Brew Coffee Concentrate. It has a smooth and low in acidity. Buy now.",
     "disfluent"),
    (COFFEE, "Enjoy the Sunrise Cold Brew Coffee Concentrate. It has a single origin Colombian beans. Order now.",
     "disfluent"),
    # shipped by the bench brief once the drafts went through one merged check: a clause's verb left hanging,
    # the product said to be its ingredient
    (COFFEE, "The Sunrise Cold Brew Coffee Concentrate is smooth. It also makes 1 litre bottle makes 8 cups. Buy now.",
     "disfluent"),
    (COFFEE, "Discover the Sunrise Cold Brew Coffee Concentrate. It has one litre bottle making 8 cups. Buy now.",
     "disfluent"),
    (COFFEE, "Treat yourself to the Sunrise Cold Brew Coffee Concentrate. It is also single origin Colombian beans. "
             "Buy now.", "disfluent"),
    # shipped on the catalog's eval briefs (run eval32m): attributes in frames they do not fit, a colon before a
    # verb, good news for a product, a CTA verb in the wrong form
    (HOODIE, "Enjoy the Blue Hoodie. It has cotton. Size: M, XXL, XL, S, L. Shop now.", "disfluent"),
    (HOODIE, "Discover the Blue Hoodie. It comes made of cotton. Shop now.", "disfluent"),
    (HOODIE, "The Blue Hoodie is made of cotton. It also comes in Cotton. Shop now.", "disfluent"),
    (HOODIE, "Good news: the Blue Hoodie is made of cotton. It also has a S, M, L. Get yours today.", "disfluent"),
    (HOODIE, "Meet the Blue Hoodie. It has a size M, XXL, XL, S, L. Shop now.", "disfluent"),
    (HOODIE, "Good news for the Blue Hoodie: made of cotton. Shop now.", "disfluent"),
    (Brief(product_name="The Comet Book", category="Books", features=["is a 16th-century treatise on comets"],
           channel="product_title"), "The Comet Book: is a 16th-century treatise on comets", "disfluent"),
    (Brief(product_name="Tank Top", category="Clothing > Tops", channel="search_ad_headline"),
     "Tank Top, Shops Now - Shop Now", "disfluent"),
    # held-out products, reading round 7: a colour read as an audience; the product said to come with what it is
    (Brief(product_name="YETI Rambler 20 oz Tumbler", brand="YETI", category="Kitchen > Drinkware",
           features=["double-wall vacuum insulation"], attributes={"color": "Navy"}, channel="social_post"),
     "Enjoy the YETI Rambler 20 oz Tumbler. It has double-wall vacuum insulation. It is also made for the Navy. "
     "Shop now.", "disfluent"),
    (Brief(product_name="Olaplex No. 3 Hair Perfector", brand="Olaplex", category="Beauty > Hair Care > Treatments",
           features=["at-home pre-shampoo treatment"], channel="social_post"),
     "Say hello to the Olaplex No. 3 Hair Perfector. It comes with an at-home pre-shampoo treatment. Learn more.",
     "disfluent"),
    # reading round 8: "a" before a word that takes none, a fragment glued on in lower case, a thing said as what
    # the product is
    (Brief(product_name="JBL Flip 6 Portable Bluetooth Speaker", brand="JBL", category="Electronics > Speakers",
           features=["bluetooth connectivity", "up to 12 hours of playtime"], channel="social_post"),
     "Meet the JBL Flip 6 Portable Bluetooth Speaker. It comes with a bluetooth connectivity. Buy now.", "disfluent"),
    (Brief(product_name="Dyson V8 Cordless Vacuum", brand="Dyson", category="Home > Vacuums",
           features=["cordless stick type", "whole-machine filtration"], channel="social_post"),
     "Enjoy the Dyson V8 Cordless Vacuum. It has a cordless stick type. Add it to your cart today.", "disfluent"),
    (Brief(product_name="IKEA KALLAX Shelf Unit, White, 77x147 cm", brand="IKEA", category="Furniture > Shelves",
           features=["eight open compartments"], channel="product_title"),
     "IKEA KALLAX Shelf Unit, White, 77x147 cm, Eight Open. you'll love the KALLAX", "disfluent"),
    (Brief(product_name="Le Creuset Signature Round Dutch Oven", brand="Le Creuset", category="Cookware",
           features=["enameled cast iron construction"], channel="social_post"),
     "Enjoy the Le Creuset Signature Round Dutch Oven. It is also enameled cast iron construction. Buy now.",
     "disfluent"),
    (Brief(product_name="Olaplex No. 3 Hair Perfector", brand="Olaplex", category="Beauty > Hair Care",
           features=["leave on for at least 10 minutes before shampooing"], channel="social_post"),
     "Enjoy the Olaplex No. 3 Hair Perfector. It comes with leave on for at least 10 minutes before shampooing. "
     "Learn more.", "disfluent"),
    # held-out products, 2026-11-28 reading: two openers run together, a fact's verb turned perfect, a part said
    # as a material
    (Brief(product_name="Dyson V8 Cordless Vacuum", brand="Dyson", category="Home > Vacuums",
           features=["point-and-shoot bin emptying"], channel="social_post"),
     "Good news for your new favorite: the Dyson V8 Cordless Vacuum, with point-and-shoot bin emptying. Shop now.",
     "disfluent"),
    (Brief(product_name="LEGO Classic Large Creative Brick Box 10698", brand="LEGO", category="Toys",
           features=["includes doors, windows, wheels and eyes"], channel="social_post"),
     "Meet the LEGO Classic Large Creative Brick Box 10698. It has included doors, windows, wheels and eyes. Buy now.",
     "disfluent"),
    (Brief(product_name="LAMY safari Fountain Pen", brand="LAMY", category="Office > Pens",
           features=["ABS plastic body", "steel nib"], channel="social_post"),
     "Enjoy the LAMY safari Fountain Pen. It is made of ABS plastic body. Order yours today.", "disfluent"),
    # held-out products, 2026-11-28 second reading: "a" before an activity, a book that has its edition or "is
    # hardcover", good news for people who already love the product, the audience said as who takes it
    (Brief(product_name="JBL Flip 6 Portable Bluetooth Speaker", brand="JBL", category="Electronics > Speakers",
           features=["PartyBoost pairing with compatible JBL speakers"], channel="social_post"),
     "Your new favorite: the JBL Flip 6 Portable Bluetooth Speaker. It has a PartyBoost pairing with compatible JBL "
     "speakers. Order now.", "disfluent"),
    (Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help",
           features=["hardcover edition"], attributes={"format": "Hardcover"}, channel="social_post"),
     "Good news: Atomic Habits by James Clear is here. It has a hardcover edition. Get yours today.", "disfluent"),
    (Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help",
           features=["hardcover edition"], attributes={"format": "Hardcover"}, channel="social_post"),
     "Enjoy Atomic Habits by James Clear. It is also hardcover. Order yours today.", "disfluent"),
    (Brief(product_name="LEGO Classic Large Creative Brick Box 10698", brand="LEGO", category="Toys",
           features=["790 pieces"], channel="social_post"),
     "Good news for those who love LEGO Classic Large Creative Brick Box 10698: 790 pieces. Shop now.", "disfluent"),
    (Brief(product_name="LAMY safari Fountain Pen", brand="LAMY", category="Office > Pens", features=["medium nib"],
           audience="students and writers", channel="social_post"),
     "The LAMY safari Fountain Pen, taken by the students and writers, is here. It also has a medium nib. Shop now.",
     "disfluent"),
    (Brief(product_name="Olaplex No. 3 Hair Perfector", brand="Olaplex", category="Beauty > Hair Care",
           features=["for all hair types"], channel="social_post", cta_goal="learn_more"),
     "Good news: the Olaplex No. 3 Hair Perfector, for all hair types. Discover more.", "disfluent"),
    (Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help", audience="readers",
           features=["practical framework for building good habits"], channel="social_post"),
     "Good news for readers: Atomic Habits by James Clear, with a practical framework for building good habits. "
     "Buy now.", "disfluent"),
    (Brief(product_name="Maldon Sea Salt Flakes, 250 g", brand="Maldon", category="Grocery > Salt",
           audience="home cooks", features=["harvested in Maldon, Essex"],
           channel="social_post"),  # round 18: a participle after the name
     "Good news for home cooks: the Maldon Sea Salt Flakes, harvested in Maldon, Essex. Shop now.", "disfluent"),
    (Brief(product_name="Olaplex No. 3 Hair Perfector", brand="Olaplex", category="Beauty > Hair Care",
           features=["for all hair types"], attributes={"size": "3.3 fl oz / 100 ml"}, channel="social_post",
           cta_goal="learn_more"),
     "Meet the Olaplex No. 3 Hair Perfector. Size: 3.3 fl oz / 100 ml. It is for all hair types. Learn more today.",
     "disfluent"),
    # round 13: one of the brief's things made several
    (Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help",
           features=["practical framework for building good habits"], channel="social_post"),
     "Your new favorite: Atomic Habits by James Clear. It has practical frameworks. Buy now.", "invented_word"),
    (Brief(product_name="Fjällräven Kånken Classic Backpack", brand="Fjällräven", category="Bags > Backpacks",
           features=["removable seat pad"], channel="social_post"),
     "Discover the Fjällräven Kånken Classic Backpack. It has removable seat pads. Get yours today.", "invented_word"),
    # round 14: a pack's price beside a name cut short of its pack size
    (Brief(product_name="Burt's Bees Beeswax Lip Balm, 4 Pack", brand="Burt's Bees", category="Beauty > Lip Care",
           features=["four 0.15 oz tubes"], price=9.99, channel="push_notification"),
     "Meet the Burt's Bees Beeswax Lip Balm, yours for $9.99. You'll love it. Buy now.", "offer"),
    # round 14, every shipped variant read: a plural product called "It", a title's verb without its subject's
    # "s", a count made singular, a sales line in a catalogue title
    (Brief(product_name="Maldon Sea Salt Flakes, 250 g", brand="Maldon", category="Grocery > Salt",
           features=["harvested in Maldon, Essex"], channel="push_notification"),
     "Meet the Maldon Sea Salt Flakes. It is harvested in Maldon, Essex. Order now.", "disfluent"),
    (Brief(product_name="Levi's Men's 501 Original Fit Jeans", brand="Levi's", category="Clothing > Jeans",
           features=["sits at the waist"], channel="product_title"),
     "Levi's Men's 501 Original Fit Jeans, Sit at the Waist", "invented_word"),
    (Brief(product_name="Bowflex SelectTech 552 Adjustable Dumbbells", brand="Bowflex", category="Fitness",
           features=["replaces 15 sets of weights"], channel="email_subject"),
     "Bowflex SelectTech 552: replaces 15 set of weights - Buy Now", "invented_word"),
    (Brief(product_name="Casio F-91W Digital Watch", brand="Casio", category="Watches",
           features=["daily alarm and stopwatch"], channel="product_title"),
     "Casio F-91W Digital Watch, Daily Alarm and Stopwatch. You'll love it", "disfluent"),
    # round 13, every shipped variant read: model slips the checks let through
    (Brief(product_name="Sophie la girafe Teether", brand="Sophie la girafe", category="Baby > Teethers",
           features=["painted with food-grade paint", "made in France since 1961"], price=25.99,
           audience="parents of babies", channel="product_description"),
     "Good news for parents of babies is the Sophie la girafe Teether. It is painted with food-grade paint. It also "
     "comes in France since 1961. Buy now.", "disfluent"),
    (Brief(product_name="Sophie la girafe Teether", brand="Sophie la girafe", category="Baby > Teethers",
           features=["painted with food-grade paint"], price=25.99, channel="product_description"),
     "Say hello to the Sophie la girafe Teether. It comes in $25.99. It is painted with food-grade paint. Buy now.",
     "disfluent"),
    (Brief(product_name="DEWALT 20V MAX Cordless Drill/Driver Kit", short_name="DEWALT 20V Drill", brand="DEWALT",
           category="Tools > Drills", features=["two batteries, a charger and a bag"], audience="DIYers",
           channel="product_description"),
     "Good news for DIYers: the DEWALT 20V MAX Cordless Drill/Driver Kit. It has two batteries, a charger and a "
     "bag. A great pick if you love the DEWALT 20V Drill. Buy now.", "disfluent"),
    (Brief(product_name="Crocs Classic Clog", brand="Crocs", category="Shoes > Clogs",
           features=["customizable with Jibbitz charms"], channel="push_notification"),
     "Enjoy the Crocs Classic Clog. It has customizable with Jibbitz charms. Order now.", "disfluent"),
    (Brief(product_name="Crocs Classic Clog", brand="Crocs", category="Shoes > Clogs",
           features=["customizable with Jibbitz charms"], channel="push_notification"),
     "Say hello to the Crocs Classic Clog. Plus, it has a customizable with Jibbitz charms. Order now.", "disfluent"),
    (Brief(product_name="Maldon Sea Salt Flakes, 250 g", brand="Maldon", category="Grocery > Salt",
           features=["harvested in Maldon, Essex"], channel="push_notification"),
     "Meet the Maldon Sea Salt Flakes. It is made of harvested in Maldon, Essex. Get yours today.", "disfluent"),
    (Brief(product_name="PopSockets PopGrip Phone Grip and Stand", brand="PopSockets", category="Phone Accessories",
           features=["works as a phone stand"], channel="push_notification"),
     "Treat yourself to the PopSockets PopGrip Phone Grip and Stand. It is a work as a phone stand. Buy now.",
     "disfluent"),
    (Brief(product_name="KONG Classic Dog Toy, Medium", brand="KONG", category="Pets > Dog Toys",
           features=["natural red rubber"], channel="push_notification"),
     "The KONG Classic Dog Toy, which is made of natural red rubber, comes here every day. Order yours today.",
     "disfluent"),
    # round 15: a pack "had", two "with"s round one name, a bare measure after a colon in a subject line
    (Brief(product_name="Burt's Bees Beeswax Lip Balm, 4 Pack", brand="Burt's Bees", category="Beauty > Lip Care",
           features=["four 0.15 oz tubes"], attributes={"pack size": "4"}, channel="push_notification"),
     "Meet the Burt's Bees Beeswax Lip Balm, 4 Pack. It has a pack of 4. You'll love it. Order now.", "disfluent"),
    (Brief(product_name="YETI Rambler 20 oz Tumbler with MagSlider Lid", brand="YETI", category="Drinkware",
           features=["double-wall vacuum insulation", "18/8 stainless steel"], channel="social_post"),
     "The YETI Rambler 20 oz Tumbler with MagSlider Lid, with double-wall vacuum insulation, is here. It is made of "
     "18/8 stainless steel. Buy now.", "disfluent"),
    (Brief(product_name="Diptyque Baies Scented Candle, 190 g", short_name="Diptyque Baies Candle", brand="Diptyque",
           category="Home > Candles", attributes={"weight": "190 g"}, channel="email_subject",
           cta_goal="visit_store"),
     "The Diptyque Baies Candle: 190 g - Visit Our Store", "disfluent"),
    (Brief(product_name="Crocs Classic Clog", brand="Crocs", category="Shoes > Clogs",
           features=["ventilation ports"], channel="push_notification"),
     "Your new favorite: the Crocs Classic Clog. They have ventilation ports. Add it to your cart today.",
     "disfluent"),
    (Brief(product_name="Le Creuset Signature Round Dutch Oven", brand="Le Creuset", category="Cookware",
           features=["larger loop handles for a secure grip"], channel="product_description"),
     "Meet the Le Creuset Signature Round Dutch Oven. It has a larger loop handle for a secure grip. Buy now.",
     "invented_word"),
    (Brief(product_name="Pandora Moments Snake Chain Bracelet", brand="Pandora", category="Jewellery > Bracelets",
           features=["barrel clasp", "holds Pandora charms"], channel="push_notification", cta_goal="visit_store"),
     "Enjoy the Pandora Moments Snake Chain Bracelet. It has a barrel clasp and a hold for Pandora charms. Visit our "
     "store.", "disfluent"),
    (Brief(product_name="Le Creuset Signature Round Dutch Oven", brand="Le Creuset", category="Cookware",
           features=["light sand-colored interior enamel"], channel="product_description"),
     "Enjoy the Le Creuset Signature Round Dutch Oven. It has a light sand-colored interior enamel. A great pick for "
     "home cooks. Buy now.", "disfluent"),
    (BOOK, "Meet Atomic Habits by James Clear. It has practical framework for building good habits and breaking bad "
           "ones. Shop now.", "disfluent"),
    (BOOK, "Atomic Habits by James Clear, with a hardcover edition, is here. You'll love it. Shop now.", "disfluent"),
    (BOOK, "Meet Atomic Habits by James Clear. It has a hardcover format. You'll love it. Buy now.", "disfluent"),
    (BOOK, "Good news for the reader: Atomic Habits by James Clear, written by James Clear, has a hardcover. Get yours "
     "today.", "disfluent"),
    (BOOK, "Meet Atomic Habits by James Clear, written by James Clear. Get yours today.", "disfluent"),
    # round 14, every shipped variant read: a pack said to "have" its containers
    (Brief(product_name="Burt's Bees Beeswax Lip Balm, 4 Pack", brand="Burt's Bees", category="Beauty > Lip Care",
           features=["four 0.15 oz tubes"], price=9.99, channel="push_notification"),
     "Good news: the Burt's Bees Beeswax Lip Balm, 4 Pack has four 0.15 oz tubes. Add it to your cart today.",
     "disfluent"),
])
def test_real_failures_are_caught(brief: Brief, text: str, check: str) -> None:
    assert check in sense_failures(text, brief), sense_findings(text, brief)
    assert not passes_sense(text, brief)


@pytest.mark.parametrize(("brief", "text"), [
    (TRAIL, "TrailCool Bottle: cold drinks for 24 hours - Shop Now"),
    (TRAIL, "Meet the TrailCool Insulated Steel Bottle in Slate - Buy Now"),
    (QUILT, "Meet the Hearthside Cotton Quilt. It is 100% cotton and machine washable. You'll love it. Shop now."),
    (LIPSTICK, "Three matte shades, one long-wearing formula: the Velvet Matte Lipstick Set. Shop now."),
    (JACKET, "Meet the Barbour Women's Beadnell Wax Jacket. It is lined with Barbour tartan and IP67 waterproof and "
             "dustproof. It has a one-touch cleaning system and double-wall vacuum insulation. It holds Barbour "
             "charms. Shop now."),
    (COFFEE, "Meet the Sunrise Cold Brew Coffee Concentrate. It is smooth and low in acidity. Its 1 litre bottle "
             "makes 8 cups. Buy now."),
    (COFFEE, "Meet the Sunrise Cold Brew Coffee Concentrate. It has a 1 litre bottle that makes 8 cups and "
             "single-origin Colombian beans. Buy now."),
    (QUILT.model_copy(update={"features": ["a pair of pillow shams", "100% cotton"]}),
     "Meet the Hearthside Cotton Quilt. It comes with a pair of pillow shams. Shop now."),
    (Brief(product_name="LAMY safari Fountain Pen", brand="LAMY", category="Office > Pens",
           features=["ABS plastic body", "steel nib"], channel="social_post"),
     "Enjoy the LAMY safari Fountain Pen. It has an ABS plastic body and a steel nib. Order yours today."),
    (Brief(product_name="JBL Flip 6 Portable Bluetooth Speaker", brand="JBL", category="Electronics > Speakers",
           features=["PartyBoost pairing with compatible JBL speakers"], channel="social_post"),
     "Meet the JBL Flip 6 Portable Bluetooth Speaker. It has PartyBoost pairing with compatible JBL speakers. "
     "Buy now."),
    (Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help",
           features=["hardcover edition"], channel="social_post"),
     "Enjoy Atomic Habits by James Clear. It is a hardcover edition. Order yours today."),
    (Brief(product_name="Carhartt Men's Loose Fit Firm Duck Double-Front Utility Work Pant", brand="Carhartt",
           category="Clothing > Men > Work Pants", channel="search_ad_headline"), "Shop Carhartt Work Pants"),
    (Brief(product_name="Silicone Ice Cube Tray", category="Kitchen > Ice Trays", features=["flexible silicone"],
           channel="social_post"),
     "Meet the Silicone Ice Cube Tray. It makes ice cubes in flexible silicone. Shop now."),
    (Brief(product_name="Burt's Bees Beeswax Lip Balm, 4 Pack", brand="Burt's Bees", category="Beauty > Lip Care",
           features=["four 0.15 oz tubes"], price=9.99, channel="push_notification"),
     "Meet the Burt's Bees Beeswax Lip Balm 4 Pack, yours for $9.99. Buy now."),
    (Brief(product_name="Maldon Sea Salt Flakes, 250 g", brand="Maldon", category="Grocery > Salt",
           features=["harvested in Maldon, Essex"], channel="push_notification"),
     "Meet the Maldon Sea Salt Flakes. They are harvested in Maldon, Essex. Order now."),
    (Brief(product_name="Levi's Men's 501 Original Fit Jeans", brand="Levi's", category="Clothing > Jeans",
           features=["sits at the waist"], channel="product_title"),
     "Levi's Men's 501 Original Fit Jeans, Sits at the Waist"),
])
def test_plain_grounded_copy_passes(brief: Brief, text: str) -> None:
    assert sense_findings(text, brief) == []


@pytest.mark.parametrize("text", [
    "Meet the Blue Hoodie. It is made of cotton. Size: M, XXL, XL, S, L. Shop now.",
    "The Blue Hoodie comes in sizes M, XXL, XL, S, L. It is made of cotton. Shop now.",
    "Good news for hoodie fans: the Blue Hoodie is made of cotton. Shop now.",
])
def test_attributes_in_their_own_frames_pass(text: str) -> None:
    """A "Size:" line reads as a spec sheet in a post (readers cut it) but belongs on the product page."""
    page = HOODIE.model_copy(update={"audience": "hoodie fans", "channel": Channel.PRODUCT_DESCRIPTION})
    assert sense_findings(text, page) == []


def _catalog_copy_naming_its_product(limit: int) -> list[tuple[Brief, str]]:
    """Human descriptions from the shipped catalog that name their product, with the brief a shop would send."""
    found = []
    for line in (CATALOG_DIR / "products.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record.get("description") or ""
        if record["name"] in text and 80 < len(text) <= 600:
            brief = record_to_brief(record).model_copy(update={"channel": Channel.PRODUCT_DESCRIPTION})
            found.append((brief, text))
    return found[:limit]


def test_real_human_copy_passes_with_its_shop_facts_and_fails_for_another_product() -> None:
    samples = _catalog_copy_naming_its_product(24)
    assert len(samples) == 24
    failing = {brief.product_name: sense_findings(text, brief) for brief, text in samples if
               sense_findings(text, brief)}
    assert failing == {}
    # the same copy sent for another product: names missing or another product, words the brief never gave
    for (brief, _), (_, other_text) in zip(samples, samples[1:] + samples[:1], strict=True):
        assert not passes_sense(other_text, brief)


def test_names_the_product_may_go_by() -> None:
    assert derived_short_names(TRAIL) == ["TrailCool Bottle"]
    assert name_forms(TRAIL) == ("TrailCool Insulated Steel Bottle", "TrailCool Bottle")
    declared = TRAIL.model_copy(update={"short_name": "TrailCool 750"})
    assert name_forms(declared) == ("TrailCool Insulated Steel Bottle", "TrailCool Bottle", "TrailCool 750")
    # a product title must carry the full name; a subject line may use the short one
    assert brief_context(TRAIL.model_copy(update={"channel": Channel.PRODUCT_TITLE})).required_names == \
        ("TrailCool Insulated Steel Bottle",)
    assert "TrailCool Bottle" in brief_context(TRAIL).required_names
    drill = Brief(product_name="DEWALT 20V MAX Cordless Drill/Driver Kit (DCD771C2)", brand="DEWALT",
                  category="Tools > Drills", channel="email_subject")
    assert derived_short_names(drill) == []  # "DEWALT Kit" says how it is sold, not what it is (a reader's edit)
    # the model without its brand, for headlines too tight for the brand with it: a word and its number is a model
    lamp = Brief(product_name="Black Diamond Spot 400 Headlamp", brand="Black Diamond", channel="search_ad_headline")
    assert model_only_names(lamp) == ["Spot 400 Headlamp", "Spot 400"]
    assert "Spot 400 Headlamp" in brief_context(lamp).required_names
    assert model_only_names(TRAIL) == []  # no brand the name opens with: no model to name alone
    teether = Brief(product_name="Sophie la girafe Teether", brand="Sophie la girafe", channel="product_description")
    assert model_only_names(teether) == []  # the word after the brand is the type ("You'll love the Teether")
    # a name that opens with the brand's coined first word lends it ("Pulse Audio" sells "Pulse ... Earbuds")
    earbuds = Brief(product_name="Pulse Wireless Earbuds", brand="Pulse Audio", channel="search_ad_headline")
    assert derived_short_names(earbuds) == ["Pulse Earbuds"]
    assert derived_short_names(earbuds.model_copy(update={"brand": "Sonic Audio"})) == []


def test_a_sentence_that_only_says_again_what_was_said_is_caught_and_cut() -> None:
    book = Brief(product_name="Atomic Habits by James Clear", features=["written by James Clear", "hardcover edition"],
                 category="Books > Self-Help", audience="readers", channel="social_post")
    text = "Your new favorite: Atomic Habits by James Clear. It is written by James Clear. A great pick for readers."
    assert [(f.rule_id, f.matched) for f in sense_findings(text + " Shop now.", book)] == \
        [("sense.disfluent_restated", "It is written by James Clear.")]
    assert repaired(text + " Shop now.", book) == \
        "Your new favorite: Atomic Habits by James Clear. A great pick for readers. Shop now."
    assert not passes_sense("Atomic Habits by James Clear is written by James Clear. A great pick for readers. "
                            "Order now.", book)  # what the name in the sentence says already
    named = JACKET.model_copy(update={"product_name": "Barbour Jacket with One-Touch Cleaning System"})
    assert not passes_sense("Meet the Barbour Jacket with One-Touch Cleaning System. It has a one-touch cleaning "
                            "system. Shop now.", named)
    # a later sentence that adds one word of its own, the call to action and stock lines are not restatements
    assert passes_sense("Meet the Barbour Jacket with One-Touch Cleaning System. It is lined with Barbour tartan. "
                        "You'll love it. Shop now.", named)


def test_who_the_product_is_for_is_said_in_the_briefs_words() -> None:
    grill = Brief(product_name="Weber Kettle Grill", features=["One-Touch cleaning system"],
                  audience="backyard grillers", channel="product_description")
    lead = "Here's the Weber Kettle Grill. It has a One-Touch cleaning system."
    assert sense_failures(f"{lead} A great pick for backyard grills. Order now.", grill) == {"ungrounded"}
    assert "sense.ungrounded_audience" in {f.rule_id for f in sense_findings(f"{lead} It is made for those who love "
                                                                             "smoke. Order now.", grill)}
    assert passes_sense(f"{lead} A great pick for every backyard griller. Order now.", grill)
    assert passes_sense(f"{lead} It is made for backyard grillers. Order now.", grill)
    for whom in ("Made with weekend chefs in mind.", "Just right for backyard parties."):
        assert "sense.ungrounded_audience" in {f.rule_id for f in sense_findings(f"{lead} {whom} Order now.", grill)}
    assert passes_sense(f"{lead} Made with backyard grillers in mind. Just right for every backyard griller. "
                        "Order now.", grill)
    tumbler = Brief(product_name="YETI Rambler Tumbler", features=["double-wall vacuum insulation",
                                                                   "for hot and cold drinks"],
                    attributes={"color": "Navy"}, audience="commuters", channel="product_description")
    lead = "Meet the YETI Rambler Tumbler. It has double-wall vacuum insulation."
    assert sense_failures(f"{lead} A great pick for Navy. Buy now.", tumbler) == {"ungrounded"}  # a colour
    assert passes_sense(f"{lead} A great pick for commuters. Buy now.", tumbler)
    assert passes_sense(f"{lead} It is made for hot and cold drinks. Buy now.", tumbler)  # what a fact says it is for


def test_offers_the_brief_states_are_allowed() -> None:
    offered = QUILT.model_copy(update={"features": ["100% cotton", "free shipping on every order"]})
    text = "The Hearthside Cotton Quilt is 100% cotton, with free shipping on every order. Shop now."
    assert "offer" in sense_failures(text, QUILT)
    assert "offer" not in sense_failures(text, offered)


def test_the_shops_own_copy_is_a_source_of_facts() -> None:
    with_copy = QUILT.model_copy(update={"reference_copy": "Stitched by hand in Portugal from organic cotton."})
    text = "The Hearthside Cotton Quilt is stitched by hand in Portugal from organic cotton. Shop now."
    assert {"entity", "claim"} <= sense_failures(text, QUILT)
    assert sense_findings(text, with_copy) == []


def test_every_finding_blocks_with_its_span_and_reason() -> None:
    text = "Mirai's TrailCreek Double-Wall Stainless Steel - Buy Today"
    findings = sense_findings(text, TRAIL)
    assert findings and all(f.severity == "block" and f.message for f in findings)
    spans = {text[f.span[0]:f.span[1]] for f in findings if f.span != (0, 0)}
    assert {"Mirai's", "TrailCreek"} <= spans
    assert {check_of(f.rule_id) for f in findings} >= {"name", "entity"}


def test_sense_reward_prefers_copy_that_makes_sense() -> None:
    good = "TrailCool Bottle: cold drinks for 24 hours - Shop Now"
    bad = "Mirai's TrailCreek Double-Wall Stainless Steel - Buy Today"
    rewards = sense_reward(None, [good, bad, ""], briefs=[TRAIL] * 3)
    assert rewards[0] == 1.0 and 0.0 < rewards[1] < 0.5 and rewards[2] == 0.0


@pytest.mark.parametrize(("slip", "mended"), [
    # real first drafts of the fine-tuned model for the cold brew brief (2026-11-27)
    ("It is made for coffee lovers. It has a single origin Colombian beans.",
     "It is made for coffee lovers. It has single origin Colombian beans."),
    ("It is made for coffee lovers. It has a smooth and low in acidity.",
     "It is made for coffee lovers. It is smooth and low in acidity."),
    ("It is made for busy coffee lovers. It also has a smooth and low in acidity. You'll love it.",
     "It is made for busy coffee lovers. It is also smooth and low in acidity. You'll love it."),
    ("Meet the Sunrise Cold Brew Coffee Concentrate, with a smooth and low in acidity. It is made for busy coffee "
     "lovers.", "Meet the Sunrise Cold Brew Coffee Concentrate, smooth and low in acidity. It is made for busy coffee "
                "lovers."),
])
def test_a_true_fact_in_broken_grammar_is_mended_not_thrown_away(slip: str, mended: str) -> None:
    from copyloop.tools.sense.repairs import repaired

    brief = COFFEE.model_copy(update={"audience": "busy coffee lovers"})
    text = slip if slip.startswith("Meet") else "Enjoy the Sunrise Cold Brew Coffee Concentrate. " + slip
    want = mended if slip.startswith("Meet") else "Enjoy the Sunrise Cold Brew Coffee Concentrate. " + mended
    assert sense_findings(text, brief)
    assert repaired(text, brief) == want and not sense_findings(want, brief)


def test_slips_without_one_certain_fix_are_left_for_the_writer() -> None:
    from copyloop.tools.sense.repairs import repaired

    broken = "Enjoy the Sunrise Cold Brew Coffee Concentrate. It has a 1 litre bottle makes 8 cups."
    assert repaired(broken, COFFEE) == broken and sense_findings(broken, COFFEE)
    shared = "Enjoy the Sunrise Cold Brew Coffee Concentrate. It has a smooth and low in acidity and a 1 litre bottle."
    assert repaired(shared, COFFEE) == shared  # "is ... and a 1 litre bottle" would break the second object


def test_a_feature_naming_the_products_own_kind_says_what_it_is() -> None:
    from copyloop.tools.composer import compose_texts
    from copyloop.tools.sense.repairs import repaired

    hoodie = Brief(product_name="Hero Hoodie", category="Men > Tops > Hoodies", channel="product_description",
                   features=["full-zip gray and black hoodie", "ribbed hem"], price=54)
    slip = "You'll love the Hero Hoodie. It has a full-zip gray and black hoodie. It also has a ribbed hem. Buy now."
    assert "disfluent" in sense_failures(slip, hoodie)
    assert repaired(slip, hoodie) == slip.replace("It has a full-zip", "It is a full-zip")
    composed = compose_texts(hoodie, 0)
    assert composed and not any("has a full-zip" in t for t in composed)
    assert any("is a full-zip gray and black hoodie" in t for t in composed)


@pytest.mark.parametrize("text", [
    "Good news for the Blue Hoodie: made of cotton. It comes in the Blue Hoodie. Buy now.",  # shipped 2026-11-27
    "Say hello to the Blue Hoodie. Size: M, XXL, XL, S, L. It is made of cotton. It comes with a size: M, XXL, XL, S, "
    "L. Get yours today.",
])
def test_the_product_having_itself_or_one_fact_said_twice_is_caught(text: str) -> None:
    blue = Brief(product_name="Blue Hoodie", category="Men > Tops > Hoodies", channel="social_post",
                 attributes={"material": "Cotton", "size": "M, XXL, XL, S, L"})
    assert "disfluent" in sense_failures(text, blue)
    assert not sense_findings("Say hello to the Blue Hoodie. It comes in sizes M, XXL, XL, S, L. It is made of cotton. "
                              "Buy now.", blue)


def test_another_form_of_a_brief_word_is_not_an_invented_word() -> None:
    making = "Enjoy the Sunrise Cold Brew Coffee Concentrate, making 8 cups from a 1 litre bottle."
    assert "invented_word" not in sense_failures(making, COFFEE)
    better = "Enjoy the Sunrise Cold Brew Coffee Concentrate: better beans."  # "better" is no form of a brief word
    assert "invented_word" in sense_failures(better, COFFEE)


def test_a_compound_of_the_brief_with_one_part_swapped_is_caught() -> None:
    backpack = Brief(product_name="Osprey Farpoint 40 Travel Backpack", brand="Osprey", channel="product_description",
                     category="Luggage & Travel > Travel Backpacks", audience="carry-on travellers",
                     features=["40 litre capacity", "double-wall base"])
    shipped = "Meet the Osprey Farpoint 40 Travel Backpack, designed for carry-out. Shop now."  # shipped 2026-11-27
    assert "invented_word" in sense_failures(shipped, backpack)
    assert "invented_word" not in sense_failures(shipped.replace("carry-out", "carry-on travellers"), backpack)
    assert "invented_word" not in sense_failures("The Osprey Farpoint 40 Travel Backpack has a double-walled base.",
                                                 backpack)


def test_filler_readers_cut_is_cut_when_the_draft_says_something_else() -> None:
    from copyloop.tools.sense.repairs import repaired

    teether = Brief(product_name="Sophie la girafe Teether", channel="product_description", category="Baby > Teethers",
                    features=["100% natural rubber", "painted with food-grade paint"])
    draft = "The Sophie la girafe Teether is made of 100% natural rubber. Enjoy it every day. Made to enjoy."
    assert repaired(draft, teether) == "The Sophie la girafe Teether is made of 100% natural rubber."
    assert repaired("Enjoy it every day.", teether) == "Enjoy it every day."  # nothing else to say: left to the checks


def test_a_material_is_what_the_product_is_made_of() -> None:
    from copyloop.tools.composer import compose_texts
    from copyloop.tools.sense.repairs import repaired

    swaddles = Brief(product_name="aden + anais Classic Swaddle Blankets, 4 Pack", short_name="aden + anais Swaddles",
                     channel="email_subject", category="Baby > Swaddles", features=["100% cotton muslin"])
    shipped = "The aden + anais Swaddles have 100% cotton muslin - Shop Now"  # shipped 2026-11-27, both readers: EDIT
    assert "disfluent" in sense_failures(shipped, swaddles)
    assert repaired(shipped, swaddles) == "The aden + anais Swaddles are made of 100% cotton muslin - Shop Now"
    sheets = Brief(product_name="Brooklinen Luxe Core Sheet Set", channel="product_description", category="Bedding",
                   features=["480 thread count cotton sateen", "deep pockets"], price=149, audience="hot sleepers")
    assert any("is made of 480 thread count cotton sateen" in t for t in compose_texts(sheets, 0))
    assert not any("has 480 thread count" in t for t in compose_texts(sheets, 0))


def test_a_title_saying_a_word_again_after_its_separator_is_caught() -> None:
    coffee = Brief(product_name="Lavazza Super Crema Whole Bean Coffee Blend", channel="product_title",
                   category="Grocery > Coffee", features=["blend of Arabica and Robusta beans"])
    shipped = "Lavazza Super Crema Whole Bean Coffee Blend - Blend of Arabica and Robusta Beans"  # round 6: EDIT
    assert "disfluent" in sense_failures(shipped, coffee)
    assert not sense_findings("Lavazza Super Crema Whole Bean Coffee Blend, Arabica and Robusta Beans", coffee)


def test_a_fact_bent_into_other_word_forms_is_caught_and_agreement_is_not() -> None:
    grill = Brief(product_name="Weber Original Kettle Premium Charcoal Grill", channel="product_description",
                  category="Patio > Grills", features=["One-Touch cleaning system", "keeps heat in for hours"])
    shipped = "Enjoy the Weber Original Kettle Premium Charcoal Grill. It comes with a one-touching clean system."
    assert "invented_word" in sense_failures(shipped, grill)  # held-out run, 2026-11-27: my one reject
    fine = "Enjoy the Weber Original Kettle Premium Charcoal Grill. It has a One-Touch cleaning system."
    assert "invented_word" not in sense_failures(fine, grill)
    plural = grill.model_copy(update={"product_name": "Weber Kettle Grills"})
    assert "invented_word" not in sense_failures("The Weber Kettle Grills keep heat in for hours.", plural)


def test_a_piece_of_the_name_is_no_name_and_a_material_is_no_model() -> None:
    balm = Brief(product_name="Burt's Bees Beeswax Lip Balm, 4 Pack", short_name="Burt's Bees Lip Balm",
                 brand="Burt's Bees", features=["made with beeswax, peppermint oil and vitamin E"],
                 channel="product_description")
    assert "Beeswax" not in name_forms(balm)  # the facts use it as a word: a material, not a model name
    lead = "Meet the Burt's Bees Beeswax Lip Balm. It is made with beeswax, peppermint oil and vitamin E."
    found = sense_findings(f"{lead} You'll love the Beeswax. Buy now.", balm)
    assert [(f.rule_id, f.matched) for f in found] == [("sense.name_fragment", "Beeswax")]
    assert passes_sense(f"{lead} You'll love the Burt's Bees Lip Balm. Buy now.", balm)
    assert passes_sense(f"{lead} You'll love the Burt's Bees. Buy now.", balm)  # the brand is a name
    espresso = Brief(product_name="Breville Bambino Plus Espresso Machine", brand="Breville",
                     features=["automatic milk frothing"], channel="product_description")
    assert "Breville Bambino Plus" in name_forms(espresso)  # a model word the facts never use stays a name
    assert passes_sense("Meet the Breville Bambino Plus Espresso Machine. It has automatic milk frothing. You'll "
                        "love the Breville Bambino Plus. Buy now.", espresso)


MASK = Brief(product_name="Glow Mask", category="Beauty", channel="product_description",
             features=["Leave on for at least 10 minutes", "Apply to damp hair", "Attach to any bag"])


@pytest.mark.parametrize(("text", "caught"), [
    ("The Glow Mask is for damp hair. It also leaves on for at least 10 minutes.", True),  # read blind
    ("The Glow Mask applies to damp hair.", True),
    ("The Glow Mask is for damp hair. Leave it on for at least 10 minutes.", False),
    ("The Glow Mask attaches to any bag.", False),  # a product may attach itself: no instruction bent
])
def test_an_instruction_is_never_said_as_what_the_product_does(text: str, caught: bool) -> None:
    found = [f for f in sense_findings(text, MASK) if f.rule_id == "sense.disfluent_fact"]
    assert bool(found) == caught, found


OVEN = Brief(product_name="Le Creuset Dutch Oven", category="Cookware", channel="product_description",
             features=["larger loop handles for a secure grip"], attributes={"color": "Flame"})
TUMBLER = Brief(product_name="YETI Rambler 20 oz", category="Drinkware", channel="social_post",
                features=["18/8 stainless steel", "double-wall vacuum insulation"])
SANDAL = Brief(product_name="Birkenstock Arizona Soft Footbed Suede Leather Sandal", brand="Birkenstock",
               category="Shoes > Sandals", channel="product_title", features=["suede leather upper", "EVA sole"],
               attributes={"material": "Suede", "color": "Taupe"})
WATCH = Brief(product_name="Casio F-91W Digital Watch", brand="Casio", channel="product_title",
              features=["LED backlight", "resin case and band"])


@pytest.mark.parametrize(("text", "brief", "rule"), [  # round 12's blind readers' edits, each caught
    ("The Le Creuset Dutch Oven comes in a Flame.", OVEN, "sense.disfluent_fact"),
    ("The YETI Rambler 20 oz is here. It has an 18/8 stainless steel.", TUMBLER, "sense.disfluent_fact"),
    ("Birkenstock Arizona Soft Footbed Suede Leather Sandal, Suede, Leather Upper", SANDAL, "sense.disfluent_restated"),
    ("Casio F-91W Digital Watch, LED BackLight", WATCH, "sense.non_word_recased"),
])
def test_what_readers_edited_in_round_12_is_caught(text: str, brief: Brief, rule: str) -> None:
    assert rule in {f.rule_id for f in sense_findings(text, brief)}


@pytest.mark.parametrize(("text", "brief"), [
    ("The Le Creuset Dutch Oven comes in Flame.", OVEN),
    ("The YETI Rambler 20 oz is made of 18/8 stainless steel.", TUMBLER),
    ("Birkenstock Arizona Soft Footbed Suede Leather Sandal, Taupe, EVA Sole", SANDAL),
    ("Casio F-91W Digital Watch, LED Backlight", WATCH),
])
def test_their_edited_forms_pass(text: str, brief: Brief) -> None:
    assert not sense_findings(text, brief), sense_findings(text, brief)


def test_a_singular_thing_with_a_plural_complement_takes_its_article() -> None:
    book = Brief(product_name="Atomic Habits by James Clear (Hardcover)", category="Books > Self-Help",
                 features=["practical framework for building good habits and breaking bad ones"], channel="social_post")
    assert passes_sense("Meet Atomic Habits by James Clear. It has a practical framework for building good habits and "
                        "breaking bad ones. Shop now.", book)
