// M3 / M4: the power-law book's closed forms, refill and evaporation.
#include <catch2/catch.hpp>

#include "wipeout/order_book.h"

using wipeout::OrderBook;

TEST_CASE("a linear book moves 1% per d1 of consumed depth and fills at half the final displacement", "[book][M3]") {
    OrderBook book(1e8, 1.0);
    const double avg = book.execute(2e8);  // two d1 of selling
    CHECK(book.displacement() == Approx(0.02).epsilon(1e-12));
    // VWAP of a linear walk from 0 to x is x / 2.
    CHECK(avg == Approx(0.01).epsilon(1e-12));
    CHECK(book.price(100000.0) == Approx(98000.0).epsilon(1e-12));
}

TEST_CASE("a square-root book: displacement grows as sqrt(C/d1), the fill at 2/3 of it", "[book][M3]") {
    OrderBook book(1e8, 2.0);
    const double avg = book.execute(4e8);
    CHECK(book.displacement() == Approx(0.02).epsilon(1e-12));
    CHECK(avg == Approx(2.0 / 3.0 * 0.02).epsilon(1e-12));
    CHECK(book.consumed_at(0.02) == Approx(4e8).epsilon(1e-12));
}

TEST_CASE("buys walk back what sells consumed, and past it onto the asks", "[book][M3]") {
    OrderBook book(1e8, 1.0);
    book.execute(1e8);
    book.execute(-3e8);
    CHECK(book.displacement() == Approx(-0.02).epsilon(1e-12));
    CHECK(book.price(100.0) == Approx(102.0).epsilon(1e-12));
}

TEST_CASE("split orders fill exactly like one order of the same size", "[book][M3]") {
    OrderBook one(5e7, 1.7), split(5e7, 1.7);
    const double whole = one.execute(3e8);
    const double a = split.execute(1e8), b = split.execute(2e8);
    CHECK((a * 1e8 + b * 2e8) / 3e8 == Approx(whole).epsilon(1e-12));
}

TEST_CASE("refill: consumed depth decays, the displacement with it", "[book][M3]") {
    OrderBook book(1e8, 1.0);
    book.execute(2e8);
    book.decay(0.5);
    CHECK(book.displacement() == Approx(0.01).epsilon(1e-12));
}

TEST_CASE("evaporation alone moves the price: the same consumed depth in a thinner book", "[book][M4]") {
    OrderBook book(1e8, 2.0);
    book.execute(1e8);
    const double before = book.displacement();
    book.set_depth(0.25e8);  // market makers pull three quarters of their quotes
    CHECK(book.displacement() == Approx(2.0 * before).epsilon(1e-12));
}

TEST_CASE("the displacement is capped so prices stay positive", "[book][M3]") {
    OrderBook book(1e6, 1.0);
    book.execute(1e12);
    CHECK(book.displacement() == Approx(OrderBook::kMaxDisplacement));
    CHECK(book.price(100.0) > 0);
}
