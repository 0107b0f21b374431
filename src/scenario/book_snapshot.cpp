// Order-book snapshots ([book] source, include/wipeout/book_snapshot.h): parsing, checks, the depth profile
// and its best power-law fit.
#include "wipeout/book_snapshot.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "wipeout/csv.h"
#include "wipeout/error.h"

namespace wipeout {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const char x = a[i] >= 'A' && a[i] <= 'Z' ? char(a[i] - 'A' + 'a') : a[i];
        if (x != b[i]) return false;
    }
    return true;
}

// The knots of one side's cumulative depth: distance from the mid of each level (ascending) and the quote
// notional of it and every better level.
struct Knots {
    std::vector<double> x, depth;
};

Knots knots(std::span<const BookLevel> levels, double mid) {
    Knots k;
    k.x.reserve(levels.size());
    k.depth.reserve(levels.size());
    double sum = 0;
    for (const BookLevel& l : levels) {
        sum += l.price * l.qty;
        k.x.push_back(std::abs(l.price - mid) / mid);
        k.depth.push_back(sum);
    }
    return k;
}

}  // namespace

BookSnapshot BookSnapshot::parse_csv(std::string_view text, std::string_view source_name) {
    CsvReader csv(text, std::string(source_name));
    const std::size_t side_col = csv.required("side");
    const std::size_t price_col = csv.required("price");
    const std::size_t qty_col = csv.required("qty");

    BookSnapshot book;
    book.source_ = csv.source();
    // Where each price was listed, per side (a level listed twice is refused), and the best prices so far
    // with their lines (a row that crosses the book is refused where it crosses it).
    std::unordered_map<double, int> seen[2];
    double best_bid = -1, best_ask = -1;
    int best_bid_line = 0, best_ask_line = 0;
    while (csv.next()) {
        const std::string_view side = csv.field(side_col);
        bool bid;
        if (equals_ignore_case(side, "bid"))
            bid = true;
        else if (equals_ignore_case(side, "ask"))
            bid = false;
        else
            csv.fail(side_col, "is not a side (bid or ask)");
        const double price = csv.positive(price_col, "a positive price");
        const double qty = csv.positive(qty_col, "a positive quantity (base units)");
        const auto [at, fresh] = seen[bid ? 0 : 1].emplace(price, csv.line());
        if (!fresh)
            csv.fail(price_col, fmt::format("is listed twice on the {} side (line {})", side, at->second));
        if (bid && best_ask > 0 && price >= best_ask)
            csv.fail(price_col, fmt::format("crosses the book: a bid at or above the best ask {} (line {})",
                                            best_ask, best_ask_line));
        if (!bid && best_bid > 0 && price <= best_bid)
            csv.fail(price_col, fmt::format("crosses the book: an ask at or below the best bid {} (line {})",
                                            best_bid, best_bid_line));
        if (bid && price > best_bid) best_bid = price, best_bid_line = csv.line();
        if (!bid && (best_ask < 0 || price < best_ask)) best_ask = price, best_ask_line = csv.line();
        (bid ? book.bids_ : book.asks_).push_back({price, qty});
    }
    if (book.bids_.empty() || book.asks_.empty())
        throw InputError(fmt::format("{}: the book has no {} level: a snapshot needs both sides",
                                     book.source_, book.bids_.empty() ? "bid" : "ask"));
    std::sort(book.bids_.begin(), book.bids_.end(),
              [](const BookLevel& a, const BookLevel& b) { return a.price > b.price; });
    std::sort(book.asks_.begin(), book.asks_.end(),
              [](const BookLevel& a, const BookLevel& b) { return a.price < b.price; });
    return book;
}

BookSnapshot BookSnapshot::load(const std::filesystem::path& file) {
    const std::string text = CsvReader::read_file(file, "order-book snapshot");
    return parse_csv(text, file.string());
}

double BookSnapshot::mid() const {
    return 0.5 * (bids_.front().price + asks_.front().price);
}

double BookSnapshot::depth_within(bool bids, double x) const {
    const auto levels = bids ? bids_ : asks_;
    const double m = mid();
    double before_x = 0, before_depth = 0;
    for (const BookLevel& l : levels) {
        const double at = std::abs(l.price - m) / m;
        const double depth = before_depth + l.price * l.qty;
        if (x < at) return before_depth + (depth - before_depth) * (x - before_x) / (at - before_x);
        before_x = at;
        before_depth = depth;
    }
    return before_depth;
}

double BookSnapshot::depth_1pct() const {
    return profile().depth_1pct();
}

BookSnapshot::PowerLaw BookSnapshot::fit_power_law() const {
    // log D = log d1 + beta log(x / 1%), ordinary least squares over the levels of both sides from kFitFrom
    // on: nearer the mid, the queue at the touch (a few BTC where the law holds dollars) is no power law's,
    // and one such level would outweigh hundreds in log depth. All levels when fewer than three are that far.
    const double m = mid();
    const Knots sides[2] = {knots(bids(), m), knots(asks(), m)};
    std::size_t far = 0;
    for (const Knots& k : sides)
        far += static_cast<std::size_t>(
            std::count_if(k.x.begin(), k.x.end(), [](double x) { return x >= kFitFrom; }));
    const double from = far >= 3 ? kFitFrom : 0.0;
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const Knots& k : sides) {
        for (std::size_t i = 0; i < k.x.size(); ++i) {
            if (k.x[i] < from) continue;
            const double lx = std::log(k.x[i] / 0.01), ly = std::log(k.depth[i]);
            n += 1, sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
        }
    }
    const double var = sxx - sx * sx / n;
    // One distance only (a level a side at the same distance): no slope to fit; take the engine's default,
    // square-root impact (beta = 2).
    const double beta = var > 1e-12 * std::max(1.0, sxx) ? (sxy - sx * sy / n) / var : 2.0;
    const double log_d1 = (sy - beta * sx) / n;
    double sse = 0;
    for (const Knots& k : sides) {
        for (std::size_t i = 0; i < k.x.size(); ++i) {
            if (k.x[i] < from) continue;
            const double r = std::log(k.depth[i]) - log_d1 - beta * std::log(k.x[i] / 0.01);
            sse += r * r;
        }
    }
    return {std::exp(log_d1), beta, std::sqrt(sse / n)};
}

BookProfile BookSnapshot::profile() const {
    // The tail beyond each side's deepest level continues with the fitted exponent, from the deepest level's
    // depth (continuous there). A slope below 1/4 or above 4 is not a book any more: clamp it.
    const double tail = std::clamp(fit_power_law().shape, 0.25, 4.0);
    const double m = mid();
    Knots side[2] = {knots(bids(), m), knots(asks(), m)};
    // The unit: the mean of the two sides' depth within 1%, the tail included where a side does not reach it.
    auto within = [&](const Knots& k, double x) {
        double bx = 0, bd = 0;
        for (std::size_t i = 0; i < k.x.size(); ++i) {
            if (x < k.x[i]) return bd + (k.depth[i] - bd) * (x - bx) / (k.x[i] - bx);
            bx = k.x[i], bd = k.depth[i];
        }
        return bd * std::pow(x / bx, tail);
    };
    const double d1 = 0.5 * (within(side[0], 0.01) + within(side[1], 0.01));
    for (Knots& k : side) {
        for (double& d : k.depth) d /= d1;
    }
    return BookProfile(side[0].x, side[0].depth, side[1].x, side[1].depth, tail, d1);
}

}  // namespace wipeout
