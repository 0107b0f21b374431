#pragma once
// What the driver needs from a multi-process launcher (MPI): ranks, a broadcast from rank 0 and ordered
// point-to-point blocks. No MPI types here: the MPI implementation is an optional component
// (wipeout/mpi_exchange.h, built with WIPEOUT_MPI), and the core library builds and runs without it.
#include <cstdint>
#include <span>
#include <string>

namespace wipeout {

class RankExchange {
  public:
    virtual ~RankExchange() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    /// Rank 0's words replace every other rank's (same length on every rank).
    virtual void broadcast(std::span<std::uint64_t> words) = 0;
    /// Rank 0's text replaces every other rank's.
    virtual void broadcast(std::string& text) = 0;
    /// Blocking, ordered sends and receives of a known number of doubles.
    virtual void send(int to, std::span<const double> values) = 0;
    virtual void receive(int from, std::span<double> values) = 0;
    virtual void send(int to, const std::string& text) = 0;
    virtual std::string receive_text(int from) = 0;
};

}  // namespace wipeout
