// The RAII layer over the HDF5 C API (see h5.h).
#include "wipeout/h5.h"

#include <H5Rpublic.h>

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

// HDF5's macros (H5P_DEFAULT, H5S_ALL, H5T_VARIABLE, ...) are C casts.
#pragma GCC diagnostic ignored "-Wold-style-cast"

namespace wipeout::h5 {
namespace {

/// HDF5 prints its error stack to stderr by default; wipeout reports errors itself. The error stack is
/// per thread in a thread-safe build, so each thread turns printing off once.
void quiet() {
    thread_local bool done = false;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        done = true;
    }
}

/// The innermost description on HDF5's error stack: the most specific reason a call failed.
std::string last_error() {
    std::string reason;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
            if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
            return 0;
        },
        &reason);
    return reason.empty() ? "unknown HDF5 error" : reason;
}

[[noreturn]] void fail(std::string_view what) {
    throw Error(fmt::format("{} failed: {}", what, last_error()));
}

std::string cstr(std::string_view s) {
    return std::string(s);
}

Handle dataspace(std::span<const hsize_t> dims, std::span<const hsize_t> max_dims = {}) {
    return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(),
                                   max_dims.empty() ? nullptr : max_dims.data()),
                  H5Sclose, "H5Screate_simple");
}

Handle scalar_space() {
    return Handle(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
}

Handle fixed_string_type(std::size_t size) {
    Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    check(H5Tset_size(t.id(), size), "H5Tset_size");
    check(H5Tset_strpad(t.id(), H5T_STR_NULLTERM), "H5Tset_strpad");
    return t;
}

/// Selects the block (offset, count) of a dataset's file space, or all of it when both are empty.
Handle select(hid_t dataset, std::span<const hsize_t> offset, std::span<const hsize_t> count, std::size_t n,
              Handle& memory_space, std::string_view what) {
    Handle file_space(H5Dget_space(dataset), H5Sclose, what);
    if (offset.empty() && count.empty()) {
        const hssize_t points = H5Sget_simple_extent_npoints(file_space.id());
        if (points < 0 || static_cast<std::size_t>(points) != n)
            throw Error(fmt::format("{}: buffer holds {} elements, dataset {}", what, n, points));
        const hsize_t total = n;
        memory_space = dataspace(std::span<const hsize_t>(&total, 1));
        return file_space;
    }
    hsize_t elements = 1;
    for (hsize_t c : count) elements *= c;
    if (elements != n)
        throw Error(fmt::format("{}: buffer holds {} elements, selection {}", what, n, elements));
    check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr),
          what);
    memory_space = dataspace(count);
    return file_space;
}

Handle group_creation_plist() {
    Handle plist(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate(group)");
    check(H5Pset_link_creation_order(plist.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          "H5Pset_link_creation_order");
    check(H5Pset_attr_creation_order(plist.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          "H5Pset_attr_creation_order");
    return plist;
}

}  // namespace

// ---- Handle ----

Handle::Handle(hid_t id, Closer close, std::string_view what) : id_(id), close_(close) {
    if (id < 0) {
        id_ = H5I_INVALID_HID;
        fail(what);
    }
}

void Handle::reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
}

herr_t check(herr_t status, std::string_view what) {
    if (status < 0) fail(what);
    return status;
}

Handle string_type() {
    Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    check(H5Tset_size(t.id(), H5T_VARIABLE), "H5Tset_size");
    check(H5Tset_cset(t.id(), H5T_CSET_UTF8), "H5Tset_cset");
    return t;
}

// ---- Object ----

std::string Object::path() const {
    const ssize_t n = H5Iget_name(id(), nullptr, 0);
    if (n < 0) fail("H5Iget_name");
    std::string name(static_cast<std::size_t>(n) + 1, '\0');
    H5Iget_name(id(), name.data(), name.size());
    name.resize(static_cast<std::size_t>(n));
    return name;
}

bool Object::has_attribute(std::string_view name) const {
    const htri_t exists = H5Aexists(id(), cstr(name).c_str());
    if (exists < 0) fail(fmt::format("H5Aexists({})", name));
    return exists > 0;
}

void Object::remove_attribute(std::string_view name) const {
    check(H5Adelete(id(), cstr(name).c_str()), fmt::format("H5Adelete({})", name));
}

void Object::set_attribute(std::string_view name, std::string_view value) const {
    if (has_attribute(name)) remove_attribute(name);
    const Handle type = string_type();
    const Handle space = scalar_space();
    const std::string what = fmt::format("writing attribute {} of {}", name, path());
    const Handle attr(H5Acreate2(id(), cstr(name).c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                      H5Aclose, what);
    const std::string text(value);
    const char* p = text.c_str();
    check(H5Awrite(attr.id(), type.id(), &p), what);
}

void Object::set_attribute(std::string_view name, std::span<const std::string> values) const {
    if (has_attribute(name)) remove_attribute(name);
    const Handle type = string_type();
    const hsize_t n = values.size();
    const Handle space = dataspace(std::span<const hsize_t>(&n, 1));
    const std::string what = fmt::format("writing attribute {} of {}", name, path());
    const Handle attr(H5Acreate2(id(), cstr(name).c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                      H5Aclose, what);
    std::vector<const char*> pointers;
    for (const auto& v : values) pointers.push_back(v.c_str());
    check(H5Awrite(attr.id(), type.id(), pointers.data()), what);
}

void Object::write_numeric_attribute(std::string_view name, hid_t type, const void* data, std::size_t n,
                                     bool scalar) const {
    const std::string what = fmt::format("writing attribute {} of {}", name, path());
    if (has_attribute(name)) {
        // Overwrite in place when the shape matches: progress counters are rewritten after every chunk.
        const Handle attr(H5Aopen(id(), cstr(name).c_str(), H5P_DEFAULT), H5Aclose, what);
        const Handle space(H5Aget_space(attr.id()), H5Sclose, what);
        const Handle stored(H5Aget_type(attr.id()), H5Tclose, what);
        const bool same_shape = (H5Sget_simple_extent_type(space.id()) == H5S_SCALAR) == scalar &&
                                static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id())) == n;
        if (same_shape && H5Tget_class(stored.id()) == H5Tget_class(type)) {
            check(H5Awrite(attr.id(), type, data), what);
            return;
        }
    }
    if (has_attribute(name)) remove_attribute(name);
    const hsize_t dims = n;
    const Handle space = scalar ? scalar_space() : dataspace(std::span<const hsize_t>(&dims, 1));
    const Handle attr(H5Acreate2(id(), cstr(name).c_str(), type, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                      H5Aclose, what);
    check(H5Awrite(attr.id(), type, data), what);
}

std::size_t Object::attribute_size(std::string_view name) const {
    const std::string what = fmt::format("reading attribute {} of {}", name, path());
    const Handle attr(H5Aopen(id(), cstr(name).c_str(), H5P_DEFAULT), H5Aclose, what);
    const Handle space(H5Aget_space(attr.id()), H5Sclose, what);
    const hssize_t n = H5Sget_simple_extent_npoints(space.id());
    if (n < 0) fail(what);
    return static_cast<std::size_t>(n);
}

void Object::read_numeric_attribute(std::string_view name, hid_t type, void* data, std::size_t n) const {
    const std::string what = fmt::format("reading attribute {} of {}", name, path());
    const Handle attr(H5Aopen(id(), cstr(name).c_str(), H5P_DEFAULT), H5Aclose, what);
    const Handle stored(H5Aget_type(attr.id()), H5Tclose, what);
    const H5T_class_t cls = H5Tget_class(stored.id());
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) throw Error(fmt::format("{}: not a number", what));
    if (attribute_size(name) != n)
        throw Error(fmt::format("{}: has {} elements, expected {}", what, attribute_size(name), n));
    check(H5Aread(attr.id(), type, data), what);
}

std::string Object::string_attribute(std::string_view name) const {
    const std::string what = fmt::format("reading attribute {} of {}", name, path());
    const Handle attr(H5Aopen(id(), cstr(name).c_str(), H5P_DEFAULT), H5Aclose, what);
    const Handle stored(H5Aget_type(attr.id()), H5Tclose, what);
    if (H5Tget_class(stored.id()) != H5T_STRING) throw Error(fmt::format("{}: not a string", what));
    if (attribute_size(name) != 1) throw Error(fmt::format("{}: not a single string", what));
    const htri_t variable = H5Tis_variable_str(stored.id());
    if (variable < 0) fail(what);
    if (variable > 0) {
        const Handle type = string_type();
        char* p = nullptr;
        check(H5Aread(attr.id(), type.id(), &p), what);
        std::string value = p ? p : "";
        const Handle space = scalar_space();
        H5Dvlen_reclaim(type.id(), space.id(), H5P_DEFAULT, &p);
        return value;
    }
    const std::size_t size = H5Tget_size(stored.id());
    std::string value(size, '\0');
    const Handle type = fixed_string_type(size);
    check(H5Aread(attr.id(), type.id(), value.data()), what);
    value.resize(std::strlen(value.c_str()));
    return value;
}

// ---- Dataset ----

std::vector<hsize_t> Dataset::shape() const {
    const Handle space(H5Dget_space(id()), H5Sclose, "H5Dget_space");
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (rank < 0) fail("H5Sget_simple_extent_ndims");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
    return dims;
}

void Dataset::resize(std::span<const hsize_t> dims) const {
    check(H5Dset_extent(id(), dims.data()), fmt::format("resizing {}", path()));
}

std::size_t Dataset::element_size() const {
    const Handle type(H5Dget_type(id()), H5Tclose, "H5Dget_type");
    return H5Tget_size(type.id());
}

int Dataset::deflate_level() const {
    const Handle plist(H5Dget_create_plist(id()), H5Pclose, "H5Dget_create_plist");
    unsigned flags = 0;
    std::size_t n = 1;
    unsigned level = 0;
    if (H5Pget_filter_by_id2(plist.id(), H5Z_FILTER_DEFLATE, &flags, &n, &level, 0, nullptr, nullptr) < 0)
        return -1;
    return static_cast<int>(level);
}

void Dataset::write_raw(hid_t mem_type, const void* data, std::size_t n, std::span<const hsize_t> offset,
                        std::span<const hsize_t> count) const {
    const std::string what = fmt::format("writing {}", path());
    Handle memory_space;
    const Handle file_space = select(id(), offset, count, n, memory_space, what);
    check(H5Dwrite(id(), mem_type, memory_space.id(), file_space.id(), H5P_DEFAULT, data), what);
}

void Dataset::read_raw(hid_t mem_type, void* data, std::size_t n, std::span<const hsize_t> offset,
                       std::span<const hsize_t> count) const {
    const std::string what = fmt::format("reading {}", path());
    Handle memory_space;
    const Handle file_space = select(id(), offset, count, n, memory_space, what);
    check(H5Dread(id(), mem_type, memory_space.id(), file_space.id(), H5P_DEFAULT, data), what);
}

std::vector<std::string> Dataset::read_strings() const {
    const std::string what = fmt::format("reading strings {}", path());
    const Handle stored(H5Dget_type(id()), H5Tclose, what);
    if (H5Tget_class(stored.id()) != H5T_STRING) throw Error(fmt::format("{}: not strings", what));
    const auto dims = shape();
    if (dims.size() != 1) throw Error(fmt::format("{}: not 1-D", what));
    const std::size_t n = dims[0];
    std::vector<std::string> out;
    out.reserve(n);
    if (H5Tis_variable_str(stored.id()) > 0) {
        const Handle type = string_type();
        std::vector<char*> pointers(n, nullptr);
        check(H5Dread(id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), what);
        for (char* p : pointers) out.emplace_back(p ? p : "");
        const Handle space(H5Dget_space(id()), H5Sclose, what);
        H5Dvlen_reclaim(type.id(), space.id(), H5P_DEFAULT, pointers.data());
    } else {
        const std::size_t size = H5Tget_size(stored.id());
        const Handle type = fixed_string_type(size);
        std::vector<char> buffer(n * size + 1, '\0');
        check(H5Dread(id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), what);
        for (std::size_t i = 0; i < n; ++i)
            out.emplace_back(buffer.data() + i * size, strnlen(buffer.data() + i * size, size));
    }
    return out;
}

void Dataset::write_chunk(std::span<const hsize_t> offset, std::span<const std::byte> stored_bytes) const {
    check(H5Dwrite_chunk(id(), H5P_DEFAULT, 0, offset.data(), stored_bytes.size(), stored_bytes.data()),
          fmt::format("writing a chunk of {}", path()));
}

// ---- Group ----

Group Group::create_group(std::string_view name) const {
    const Handle plist = group_creation_plist();
    return Group(Handle(H5Gcreate2(id(), cstr(name).c_str(), H5P_DEFAULT, plist.id(), H5P_DEFAULT), H5Gclose,
                        fmt::format("creating group {}", name)));
}

Group Group::open_group(std::string_view name) const {
    return Group(Handle(H5Gopen2(id(), cstr(name).c_str(), H5P_DEFAULT), H5Gclose,
                        fmt::format("opening group {}", name)));
}

bool Group::contains(std::string_view name) const {
    const htri_t exists = H5Lexists(id(), cstr(name).c_str(), H5P_DEFAULT);
    if (exists < 0) fail(fmt::format("H5Lexists({})", name));
    return exists > 0;
}

void Group::remove(std::string_view name) const {
    check(H5Ldelete(id(), cstr(name).c_str(), H5P_DEFAULT), fmt::format("removing {}", name));
}

std::vector<std::string> Group::member_names() const {
    // Creation order when the group tracks it, name order otherwise.
    const Handle plist(H5Gget_create_plist(id()), H5Pclose, "H5Gget_create_plist");
    unsigned flags = 0;
    H5Pget_link_creation_order(plist.id(), &flags);
    const H5_index_t index = (flags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    std::vector<std::string> names;
    hsize_t position = 0;
    check(H5Literate(
              id(), index, H5_ITER_INC, &position,
              [](hid_t, const char* member, const H5L_info_t*, void* out) -> herr_t {
                  static_cast<std::vector<std::string>*>(out)->emplace_back(member);
                  return 0;
              },
              &names),
          "listing group members");
    return names;
}

Dataset Group::open_dataset(std::string_view name) const {
    return Dataset(Handle(H5Dopen2(id(), cstr(name).c_str(), H5P_DEFAULT), H5Dclose,
                          fmt::format("opening dataset {}", name)));
}

Dataset Group::create_dataset(std::string_view name, hid_t file_type, std::span<const hsize_t> dims,
                              const DatasetLayout& layout) const {
    const std::string what = fmt::format("creating dataset {}", name);
    const Handle space = dataspace(dims, layout.max_dims);
    const Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    check(H5Pset_attr_creation_order(plist.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), what);
    if (!layout.chunk.empty()) {
        check(H5Pset_chunk(plist.id(), static_cast<int>(layout.chunk.size()), layout.chunk.data()), what);
        if (layout.shuffle) check(H5Pset_shuffle(plist.id()), what);
        if (layout.deflate > 0)
            check(H5Pset_deflate(plist.id(), static_cast<unsigned>(layout.deflate)), what);
    }
    if (layout.fill_nan) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        check(H5Pset_fill_value(plist.id(), H5T_NATIVE_DOUBLE, &nan), what);
    }
    return Dataset(Handle(
        H5Dcreate2(id(), cstr(name).c_str(), file_type, space.id(), H5P_DEFAULT, plist.id(), H5P_DEFAULT),
        H5Dclose, what));
}

Dataset Group::write_strings(std::string_view name, std::span<const std::string> values) const {
    const Handle type = string_type();
    const hsize_t n = values.size();
    Dataset d = create_dataset(name, type.id(), std::span<const hsize_t>(&n, 1));
    std::vector<const char*> pointers;
    for (const auto& v : values) pointers.push_back(v.c_str());
    check(H5Dwrite(d.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
          fmt::format("writing {}", name));
    return d;
}

// ---- File ----

File File::create(const std::filesystem::path& path) {
    quiet();
    const Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "H5Pcreate(file)");
    check(H5Pset_link_creation_order(fcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          "H5Pset_link_creation_order");
    check(H5Pset_attr_creation_order(fcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          "H5Pset_attr_creation_order");
    File f;
    f.handle_ = Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.id(), H5P_DEFAULT), H5Fclose,
                       fmt::format("creating {}", path.string()));
    return f;
}

File File::open(const std::filesystem::path& path, bool writable) {
    quiet();
    File f;
    f.handle_ = Handle(H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                       fmt::format("opening {}", path.string()));
    return f;
}

void File::flush() const {
    check(H5Fflush(id(), H5F_SCOPE_GLOBAL), "flushing the file");
}

void File::close() {
    handle_.reset();
}

bool is_hdf5(const std::filesystem::path& path) {
    quiet();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return false;
    return H5Fis_hdf5(path.c_str()) > 0;
}

// ---- dimension scales ----

void make_dimension_scale(const Dataset& scale, std::string_view name) {
    // Fixed-length, NUL-terminated strings: exactly what H5DSset_scale writes and H5DSis_scale expects.
    auto write_fixed = [&](const char* attribute, std::string_view value) {
        if (scale.has_attribute(attribute)) scale.remove_attribute(attribute);
        const Handle type = fixed_string_type(value.size() + 1);
        const Handle space = scalar_space();
        const std::string what = fmt::format("writing {} of {}", attribute, scale.path());
        const Handle attr(H5Acreate2(scale.id(), attribute, type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                          H5Aclose, what);
        const std::string text(value);
        check(H5Awrite(attr.id(), type.id(), text.c_str()), what);
    };
    write_fixed("CLASS", "DIMENSION_SCALE");
    write_fixed("NAME", name);
}

void ScaleAttachments::attach(const Dataset& dataset, unsigned dim, const Dataset& scale) {
    if (!file_.valid()) file_ = Handle(H5Iget_file_id(dataset.id()), H5Fclose, "H5Iget_file_id");
    const auto rank = static_cast<unsigned>(dataset.shape().size());
    if (dim >= rank)
        throw Error(fmt::format("attaching a scale to dimension {} of {}-D {}", dim, rank, dataset.path()));
    attachments_.push_back({dataset.path(), rank, dim, scale.path()});
}

void ScaleAttachments::write() const {
    if (attachments_.empty()) return;
    auto reference = [&](const std::string& object) {
        hobj_ref_t ref{};
        check(H5Rcreate(&ref, file_.id(), object.c_str(), H5R_OBJECT, -1),
              fmt::format("referencing {}", object));
        return ref;
    };
    auto open_object = [&](const std::string& object) {
        return Handle(H5Oopen(file_.id(), object.c_str(), H5P_DEFAULT), H5Oclose,
                      fmt::format("opening {}", object));
    };

    // Each dataset's DIMENSION_LIST: per dimension, a variable-length list of references to its scales.
    std::map<std::string, std::vector<std::vector<hobj_ref_t>>> dimension_lists;
    std::map<std::string, std::vector<std::pair<hobj_ref_t, int>>> reference_lists;
    for (const auto& a : attachments_) {
        auto& lists = dimension_lists[a.dataset];
        lists.resize(a.rank);
        lists[a.dim].push_back(reference(a.scale));
        reference_lists[a.scale].emplace_back(reference(a.dataset), static_cast<int>(a.dim));
    }
    const Handle vlen_refs(H5Tvlen_create(H5T_STD_REF_OBJ), H5Tclose, "H5Tvlen_create");
    for (auto& [dataset, lists] : dimension_lists) {
        const Handle object = open_object(dataset);
        if (H5Aexists(object.id(), "DIMENSION_LIST") > 0)
            check(H5Adelete(object.id(), "DIMENSION_LIST"), dataset);
        std::vector<hvl_t> entries(lists.size());
        for (std::size_t d = 0; d < lists.size(); ++d) entries[d] = {lists[d].size(), lists[d].data()};
        const hsize_t n = entries.size();
        const Handle space = dataspace(std::span<const hsize_t>(&n, 1));
        const std::string what = fmt::format("writing DIMENSION_LIST of {}", dataset);
        const Handle attr(
            H5Acreate2(object.id(), "DIMENSION_LIST", vlen_refs.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, what);
        check(H5Awrite(attr.id(), vlen_refs.id(), entries.data()), what);
    }

    // Each scale's REFERENCE_LIST: (dataset, dimension) pairs, the compound H5DS uses.
    struct Entry {
        hobj_ref_t ref;
        int dimension;
    };
    const Handle compound(H5Tcreate(H5T_COMPOUND, sizeof(Entry)), H5Tclose, "H5Tcreate");
    check(H5Tinsert(compound.id(), "dataset", HOFFSET(Entry, ref), H5T_STD_REF_OBJ), "H5Tinsert");
    check(H5Tinsert(compound.id(), "dimension", HOFFSET(Entry, dimension), H5T_NATIVE_INT), "H5Tinsert");
    for (const auto& [scale, refs] : reference_lists) {
        const Handle object = open_object(scale);
        if (H5Aexists(object.id(), "REFERENCE_LIST") > 0)
            check(H5Adelete(object.id(), "REFERENCE_LIST"), scale);
        std::vector<Entry> entries;
        for (const auto& [ref, dim] : refs) entries.push_back({ref, dim});
        const hsize_t n = entries.size();
        const Handle space = dataspace(std::span<const hsize_t>(&n, 1));
        const std::string what = fmt::format("writing REFERENCE_LIST of {}", scale);
        const Handle attr(
            H5Acreate2(object.id(), "REFERENCE_LIST", compound.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, what);
        check(H5Awrite(attr.id(), compound.id(), entries.data()), what);
    }
}

}  // namespace wipeout::h5
