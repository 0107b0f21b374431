// RankExchange over MPI_COMM_WORLD (blocking point-to-point and broadcasts; the driver sends one message
// per chunk, so latency does not matter).
#include "wipeout/mpi_exchange.h"

#include <mpi.h>

#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

namespace wipeout {
namespace {

constexpr int kBlockTag = 1;
constexpr int kTextTag = 2;

void check(int status, const char* what) {
    if (status != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

int count_of(std::size_t n) {
    if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::runtime_error("MPI: message too large");
    return static_cast<int>(n);
}

class MpiExchange final : public RankExchange {
  public:
    MpiExchange() {
        check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
        check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    }
    ~MpiExchange() override { MPI_Finalize(); }
    MpiExchange(const MpiExchange&) = delete;
    MpiExchange& operator=(const MpiExchange&) = delete;

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    void broadcast(std::span<std::uint64_t> words) override {
        check(MPI_Bcast(words.data(), count_of(words.size()), MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
    }
    void broadcast(std::string& text) override {
        std::uint64_t n = text.size();
        broadcast(std::span<std::uint64_t>(&n, 1));
        text.resize(n);
        check(MPI_Bcast(text.data(), count_of(n), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
    }
    void send(int to, std::span<const double> values) override {
        check(MPI_Send(values.data(), count_of(values.size()), MPI_DOUBLE, to, kBlockTag, MPI_COMM_WORLD),
              "MPI_Send");
    }
    void receive(int from, std::span<double> values) override {
        check(MPI_Recv(values.data(), count_of(values.size()), MPI_DOUBLE, from, kBlockTag, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE),
              "MPI_Recv");
    }
    void send(int to, const std::string& text) override {
        check(MPI_Send(text.data(), count_of(text.size()), MPI_CHAR, to, kTextTag, MPI_COMM_WORLD),
              "MPI_Send");
    }
    std::string receive_text(int from) override {
        MPI_Status status;
        check(MPI_Probe(from, kTextTag, MPI_COMM_WORLD, &status), "MPI_Probe");
        int n = 0;
        check(MPI_Get_count(&status, MPI_CHAR, &n), "MPI_Get_count");
        std::string text(static_cast<std::size_t>(n), '\0');
        check(MPI_Recv(text.data(), n, MPI_CHAR, from, kTextTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv");
        return text;
    }

  private:
    int rank_ = 0;
    int size_ = 1;
};

/// Whether a launcher started this process as one of several ranks (Open MPI, PMIx, Slurm, MPICH).
bool launched_with_ranks() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", "MPI_LOCALNRANKS"}) {
        const char* v = std::getenv(name);
        if (v != nullptr && std::atoi(v) > 1) return true;
    }
    return false;
}

}  // namespace

std::unique_ptr<RankExchange> start_mpi_if_launched(int& argc, char**& argv) {
    if (!launched_with_ranks()) return nullptr;  // a plain process: no MPI start-up cost or daemons
    int provided = 0;
    check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    auto exchange = std::make_unique<MpiExchange>();
    if (exchange->size() < 2) return nullptr;  // destroying it finalizes MPI
    return exchange;
}

}  // namespace wipeout
