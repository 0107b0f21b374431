#pragma once
// A small RAII layer over the HDF5 1.10 C API: owned identifiers, files, groups, datasets, attributes and
// dimension scales. Only what wipeout's results files need; every failure throws h5::Error naming the
// object and the call. Not thread-safe: use it from one thread at a time.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace wipeout::h5 {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Owns one HDF5 identifier and closes it with the matching H5*close.
class Handle {
  public:
    using Closer = herr_t (*)(hid_t);
    Handle() = default;
    /// Takes ownership of `id`; throws Error("<what> failed: <HDF5's reason>") when id is negative.
    Handle(hid_t id, Closer close, std::string_view what);
    ~Handle() { reset(); }
    Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            close_ = other.close_;
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    hid_t id() const { return id_; }
    bool valid() const { return id_ >= 0; }
    void reset();

  private:
    hid_t id_ = H5I_INVALID_HID;
    Closer close_ = nullptr;
};

/// Throws Error("<what> failed: <HDF5's reason>") when status is negative; returns it otherwise.
herr_t check(herr_t status, std::string_view what);

/// The HDF5 memory type of a C++ arithmetic type.
template <class T>
hid_t native_type() {
    if constexpr (std::is_same_v<T, double>)
        return H5T_NATIVE_DOUBLE;
    else if constexpr (std::is_same_v<T, float>)
        return H5T_NATIVE_FLOAT;
    else if constexpr (std::is_same_v<T, std::int8_t>)
        return H5T_NATIVE_INT8;
    else if constexpr (std::is_same_v<T, std::uint8_t>)
        return H5T_NATIVE_UINT8;
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return H5T_NATIVE_INT32;
    else if constexpr (std::is_same_v<T, std::uint32_t>)
        return H5T_NATIVE_UINT32;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return H5T_NATIVE_INT64;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return H5T_NATIVE_UINT64;
    else
        static_assert(sizeof(T) == 0, "no HDF5 type for this C++ type");
}

/// A variable-length UTF-8 string type (how wipeout stores text: h5py reads it as str).
Handle string_type();

/// Anything that carries attributes: a file's root, a group, a dataset.
class Object {
  public:
    hid_t id() const { return handle_.id(); }
    /// The object's absolute path in its file ("/paths/max_drawdown").
    std::string path() const;

    bool has_attribute(std::string_view name) const;
    void remove_attribute(std::string_view name) const;

    /// Scalar UTF-8 string attribute (replaces an existing one).
    void set_attribute(std::string_view name, std::string_view value) const;
    void set_attribute(std::string_view name, const char* value) const {
        set_attribute(name, std::string_view(value));
    }
    void set_attribute(std::string_view name, const std::string& value) const {
        set_attribute(name, std::string_view(value));
    }
    /// 1-D array of UTF-8 strings.
    void set_attribute(std::string_view name, std::span<const std::string> values) const;
    /// Numeric scalar; an existing attribute of the same shape is overwritten in place.
    template <class T>
    requires std::is_arithmetic_v<T>
    void set_attribute(std::string_view name, T value) const {
        write_numeric_attribute(name, native_type<T>(), &value, 1, true);
    }
    /// 1-D numeric array.
    template <class T>
    void set_attribute(std::string_view name, std::span<const T> values) const {
        write_numeric_attribute(name, native_type<T>(), values.data(), values.size(), false);
    }

    /// A string attribute, fixed-length or variable-length; throws Error if missing or not a string.
    std::string string_attribute(std::string_view name) const;
    /// A numeric scalar attribute converted to T; throws Error if missing or not numeric.
    template <class T>
    T attribute(std::string_view name) const {
        T value{};
        read_numeric_attribute(name, native_type<T>(), &value, 1);
        return value;
    }
    /// A numeric attribute's elements converted to T.
    template <class T>
    std::vector<T> array_attribute(std::string_view name) const {
        std::vector<T> values(attribute_size(name));
        read_numeric_attribute(name, native_type<T>(), values.data(), values.size());
        return values;
    }
    std::size_t attribute_size(std::string_view name) const;

  protected:
    Object() = default;
    explicit Object(Handle handle) : handle_(std::move(handle)) {}
    void write_numeric_attribute(std::string_view name, hid_t type, const void* data, std::size_t n,
                                 bool scalar) const;
    void read_numeric_attribute(std::string_view name, hid_t type, void* data, std::size_t n) const;

    Handle handle_;
};

/// How a new dataset is stored.
struct DatasetLayout {
    std::vector<hsize_t> chunk;     ///< chunk shape; empty: contiguous
    std::vector<hsize_t> max_dims;  ///< maximum shape (H5S_UNLIMITED to extend); empty: the initial shape
    int deflate = 0;                ///< zlib level 1-9, 0 for none (needs chunks)
    bool shuffle = false;           ///< byte shuffle before deflate (needs chunks)
    bool fill_nan = false;          ///< unwritten elements of a floating-point dataset read as NaN
};

class Dataset : public Object {
  public:
    Dataset() = default;
    explicit Dataset(Handle handle) : Object(std::move(handle)) {}

    std::vector<hsize_t> shape() const;
    /// Elements along the first dimension.
    hsize_t size() const { return shape().at(0); }
    /// Sets the current shape (within max_dims): grows with fill values, shrinks by discarding.
    void resize(std::span<const hsize_t> dims) const;
    void resize(hsize_t n) const { resize(std::span<const hsize_t>(&n, 1)); }
    /// The stored element type's size in bytes.
    std::size_t element_size() const;
    /// The level of the dataset's deflate filter, or -1 when it has none.
    int deflate_level() const;

    /// Writes a block of elements (row-major) at `offset` with shape `count`; both default to the whole.
    template <class T>
    void write(std::span<const T> data, std::span<const hsize_t> offset = {},
               std::span<const hsize_t> count = {}) const {
        write_raw(native_type<T>(), data.data(), data.size(), offset, count);
    }
    /// Reads a block (default: everything) into `out`, converting to T.
    template <class T>
    void read(std::span<T> out, std::span<const hsize_t> offset = {},
              std::span<const hsize_t> count = {}) const {
        read_raw(native_type<T>(), out.data(), out.size(), offset, count);
    }
    template <class T>
    std::vector<T> read_all() const {
        hsize_t n = 1;
        for (hsize_t d : shape()) n *= d;
        std::vector<T> out(n);
        read<T>(out);
        return out;
    }
    /// A 1-D dataset of strings (fixed or variable length).
    std::vector<std::string> read_strings() const;

    /// Stores one chunk's bytes as they are on disk (already through the dataset's filters, in order),
    /// at the chunk whose first element is `offset`. Lets the caller compress chunks in parallel.
    void write_chunk(std::span<const hsize_t> offset, std::span<const std::byte> stored_bytes) const;

  private:
    void write_raw(hid_t mem_type, const void* data, std::size_t n, std::span<const hsize_t> offset,
                   std::span<const hsize_t> count) const;
    void read_raw(hid_t mem_type, void* data, std::size_t n, std::span<const hsize_t> offset,
                  std::span<const hsize_t> count) const;
};

class Group : public Object {
  public:
    Group() = default;
    explicit Group(Handle handle) : Object(std::move(handle)) {}

    /// Groups track creation order, so h5dump, h5py and netCDF list members as written.
    Group create_group(std::string_view name) const;
    Group open_group(std::string_view name) const;
    /// Whether a direct member `name` exists.
    bool contains(std::string_view name) const;
    /// Unlinks a member (its space is not reclaimed until the file is repacked).
    void remove(std::string_view name) const;
    /// Member names, in creation order.
    std::vector<std::string> member_names() const;

    Dataset open_dataset(std::string_view name) const;
    Dataset create_dataset(std::string_view name, hid_t file_type, std::span<const hsize_t> dims,
                           const DatasetLayout& layout = {}) const;
    /// A contiguous 1-D dataset holding `data`.
    template <class T>
    Dataset write_dataset(std::string_view name, std::span<const T> data) const {
        const hsize_t n = data.size();
        Dataset d = create_dataset(name, native_type<T>(), std::span<const hsize_t>(&n, 1));
        d.write(data);
        return d;
    }
    /// A contiguous 1-D dataset of UTF-8 strings.
    Dataset write_strings(std::string_view name, std::span<const std::string> values) const;
};

class File : public Group {
  public:
    /// Creates (truncating) a file that tracks creation order.
    static File create(const std::filesystem::path& path);
    static File open(const std::filesystem::path& path, bool writable);
    /// Writes everything buffered to the file system.
    void flush() const;
    /// Closes now (and flushes); further use throws.
    void close();
};

/// Whether `path` is an existing HDF5 file (false for a missing or non-HDF5 file).
bool is_hdf5(const std::filesystem::path& path);

/// Marks a 1-D dataset as the dimension scale (coordinate) called `name`: the CLASS and NAME attributes of
/// the HDF5 Dimension Scale specification, which h5py's .dims and netCDF-4 read.
void make_dimension_scale(const Dataset& scale, std::string_view name);

/// Attaches dimension scales to datasets. Collect every attachment, then write() once: it writes each
/// dataset's DIMENSION_LIST and each scale's REFERENCE_LIST as the HDF5 Dimension Scale specification
/// (and H5DSattach_scale) lays them out, without needing the high-level library.
class ScaleAttachments {
  public:
    void attach(const Dataset& dataset, unsigned dim, const Dataset& scale);
    void write() const;

  private:
    struct Attachment {
        std::string dataset;
        unsigned rank;
        unsigned dim;
        std::string scale;
    };
    Handle file_;  // any object of the file locates the others by path
    std::vector<Attachment> attachments_;
};

}  // namespace wipeout::h5
