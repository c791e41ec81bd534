import CHDF5
import Foundation

/// A thin owner of HDF5 handles. Only what shards need: groups, 1-D/2-D/3-D numeric datasets that grow
/// along their first axis, fixed numeric datasets, variable-length string datasets and scalar attributes.
/// Every failure becomes `DataError.shard(path, ...)` carrying HDF5's own innermost message.
final class HDF5File {
    let path: String
    private(set) var id: hid_t
    /// The file's size in bytes, the yardstick for how much a dataset may decode to.
    let fileSize: Int

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
        var info = stat()
        fileSize = stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// HDF5 prints its error stack by default, and that setting is per thread in thread-safe builds.
    static func quiet() { chdf5_silence() }

    /// Debian's libhdf5 is built thread-safe and serialises calls itself; this lock keeps concurrent
    /// loader reads correct on builds that are not, at no cost where the library locks anyway.
    static let lock = NSLock()

    /// A new file; `userBlock` bytes at its start are left for the caller (ShardIntegrity's header).
    static func create(path: String, userBlock: Int = 0) throws -> HDF5File {
        quiet()
        let fid = userBlock > 0 ? chdf5_create_with_userblock(path, hsize_t(userBlock))
                                : H5Fcreate(path, chdf5_acc_trunc(), chdf5_p_default(), chdf5_p_default())
        guard fid >= 0 else { throw failure(path, "cannot create file") }
        return HDF5File(path: path, id: fid)
    }

    static func open(path: String) throws -> HDF5File {
        lock.lock()
        defer { lock.unlock() }
        quiet()
        // libhdf5 1.10 is not safe on corrupt files (fuzzing found endless loops and heap overflows inside
        // it), so nothing reaches it that fails the shard's checksum; see ShardIntegrity.
        // A sealed file holds exactly the bytes libhdf5 wrote; only unsealed ones need the heap walk, which
        // scans the whole file on every open.
        if try !ShardIntegrity.verify(path: path) { try HDF5GlobalHeapCheck.validate(path: path) }
        let fid = H5Fopen(path, chdf5_acc_rdonly(), chdf5_p_default())
        guard fid >= 0 else { throw failure(path, "cannot open as HDF5") }
        return HDF5File(path: path, id: fid)
    }

    /// Closing may happen on any thread (HDF5's error printing is per thread) and, for readers still held by
    /// loader threads at process exit, after the library has already closed every file itself.
    func close() {
        HDF5File.quiet()
        if id >= 0 && H5Iis_valid(id) > 0 { H5Fclose(id) }
        id = -1
    }

    deinit { close() }

    static func failure(_ path: String, _ what: String) -> DataError {
        var buffer = [CChar](repeating: 0, count: 512)
        chdf5_last_error(&buffer, buffer.count)
        let detail = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return .shard(path, detail.isEmpty ? what : "\(what): \(detail)")
    }

    func fail(_ what: String) -> DataError { HDF5File.failure(path, what) }

    func createGroup(_ name: String) throws {
        let g = H5Gcreate2(id, name, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        guard g >= 0 else { throw fail("cannot create group \(name)") }
        H5Gclose(g)
    }

    func exists(_ name: String) -> Bool {
        H5Lexists(id, name, chdf5_p_default()) > 0
    }

    // MARK: writing

    /// A dataset of shape (0, inner...) that grows along axis 0.
    func createGrowing(_ name: String, type: hid_t, inner: [Int], chunkRows: Int, deflate: Int? = nil) throws -> GrowingDataset {
        let dims = [hsize_t(0)] + inner.map { hsize_t($0) }
        let maxDims = [chdf5_unlimited()] + inner.map { hsize_t($0) }
        let chunk = [hsize_t(max(1, chunkRows))] + inner.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), dims, maxDims)
        guard space >= 0 else { throw fail("cannot make dataspace for \(name)") }
        defer { H5Sclose(space) }
        let plist = H5Pcreate(chdf5_p_dataset_create())
        defer { H5Pclose(plist) }
        H5Pset_chunk(plist, Int32(chunk.count), chunk)
        if let level = deflate {
            H5Pset_shuffle(plist)
            H5Pset_deflate(plist, UInt32(level))
        }
        let ds = H5Dcreate2(id, name, type, space, chdf5_p_default(), plist, chdf5_p_default())
        guard ds >= 0 else { throw fail("cannot create dataset \(name)") }
        return GrowingDataset(file: self, name: name, id: ds, type: type, inner: inner)
    }

    func writeFixed<T>(_ name: String, type: hid_t, shape: [Int], values: [T]) throws {
        let dims = shape.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        guard space >= 0 else { throw fail("cannot make dataspace for \(name)") }
        defer { H5Sclose(space) }
        let ds = H5Dcreate2(id, name, type, space, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        guard ds >= 0 else { throw fail("cannot create dataset \(name)") }
        defer { H5Dclose(ds) }
        if values.isEmpty { return }
        let rc = values.withUnsafeBytes { H5Dwrite(ds, type, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), $0.baseAddress) }
        guard rc >= 0 else { throw fail("cannot write dataset \(name)") }
    }

    private static func utf8VariableString() -> hid_t {
        let t = H5Tcopy(chdf5_c_s1())
        H5Tset_size(t, chdf5_variable())
        H5Tset_cset(t, H5T_CSET_UTF8)
        return t
    }

    func writeStrings(_ name: String, _ strings: [String]) throws {
        let type = HDF5File.utf8VariableString()
        defer { H5Tclose(type) }
        var dims = [hsize_t(strings.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let ds = H5Dcreate2(id, name, type, space, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        guard ds >= 0 else { throw fail("cannot create dataset \(name)") }
        defer { H5Dclose(ds) }
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        guard H5Dwrite(ds, type, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &pointers) >= 0 else {
            throw fail("cannot write dataset \(name)")
        }
    }

    func setAttribute(_ name: String, int value: Int64) throws {
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let a = H5Acreate2(id, name, chdf5_native_int64(), space, chdf5_p_default(), chdf5_p_default())
        guard a >= 0 else { throw fail("cannot create attribute \(name)") }
        defer { H5Aclose(a) }
        var v = value
        guard H5Awrite(a, chdf5_native_int64(), &v) >= 0 else { throw fail("cannot write attribute \(name)") }
    }

    func setAttribute(_ name: String, string value: String) throws {
        let type = HDF5File.utf8VariableString()
        defer { H5Tclose(type) }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let a = H5Acreate2(id, name, type, space, chdf5_p_default(), chdf5_p_default())
        guard a >= 0 else { throw fail("cannot create attribute \(name)") }
        defer { H5Aclose(a) }
        var p: UnsafeMutablePointer<CChar>? = strdup(value)
        defer { free(p) }
        guard H5Awrite(a, type, &p) >= 0 else { throw fail("cannot write attribute \(name)") }
    }

    // MARK: reading

    func intAttribute(_ name: String) throws -> Int64 {
        let a = H5Aopen(id, name, chdf5_p_default())
        guard a >= 0 else { throw fail("missing attribute \(name)") }
        defer { H5Aclose(a) }
        var v: Int64 = 0
        guard H5Aread(a, chdf5_native_int64(), &v) >= 0 else { throw fail("cannot read attribute \(name)") }
        return v
    }

    func stringAttribute(_ name: String) throws -> String {
        let a = H5Aopen(id, name, chdf5_p_default())
        guard a >= 0 else { throw fail("missing attribute \(name)") }
        defer { H5Aclose(a) }
        let type = HDF5File.utf8VariableString()
        defer { H5Tclose(type) }
        var p: UnsafeMutablePointer<CChar>?
        guard H5Aread(a, type, &p) >= 0, let p else { throw fail("cannot read attribute \(name)") }
        defer { H5free_memory(p) }
        return String(cString: p)
    }

    /// The dataset's shape.
    func shape(_ name: String) throws -> [Int] {
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        return try dimensions(ds, name)
    }

    /// The dimensions as the file states them, refused when any (or their product) does not fit in an Int.
    private func dimensions(_ ds: hid_t, _ name: String) throws -> [Int] {
        let space = H5Dget_space(ds)
        guard space >= 0 else { throw fail("cannot read the shape of \(name)") }
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard (0...32).contains(rank) else { throw fail("cannot read the shape of \(name)") }
        var dims = [hsize_t](repeating: 0, count: rank)
        guard rank == 0 || H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { throw fail("cannot read the shape of \(name)") }
        let shape = dims.map { Int(exactly: $0) ?? -1 }
        guard !shape.contains(-1), ShardSize.product(shape) != nil else {
            throw DataError.shard(path, "dataset \(name) claims shape \(dims), too large to address")
        }
        return shape
    }


    /// The most bytes `name` can honestly decode to. Stored data cannot exceed the file, and deflate, the
    /// only compression our writer uses, expands at most 1032:1. A header claiming more (unwritten chunks
    /// read back as fill values, or a forged extent) would only make us allocate for nothing.
    private func decodedByteLimit(_ ds: hid_t) -> Int {
        let plist = H5Dget_create_plist(ds)
        var filtered = false
        if plist >= 0 {
            filtered = H5Pget_nfilters(plist) > 0
            H5Pclose(plist)
        }
        let (limit, overflow) = max(fileSize, 1 << 16).multipliedReportingOverflow(by: filtered ? 1032 : 1)
        return overflow ? Int.max : limit
    }

    private func openDataset(_ name: String) throws -> hid_t {
        let ds = H5Dopen2(id, name, chdf5_p_default())
        guard ds >= 0 else { throw fail("missing dataset \(name)") }
        return ds
    }

    /// Rows [start, start+rows) along axis 0, flattened; `rowSize` is the product of the other axes.
    /// Every size here (start, rows, the dataset's shape) comes from the file, so all are checked, with
    /// overflow-checked arithmetic, before anything is allocated.
    func read<T>(_ name: String, type: hid_t, start: Int, rows: Int, rowSize: Int, zero: T) throws -> [T] {
        if rows == 0 { return [] }
        HDF5File.lock.lock()
        defer { HDF5File.lock.unlock() }
        HDF5File.quiet()
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        let dims = try dimensions(ds, name)
        let rank = dims.count
        let inner = ShardSize.product(dims.dropFirst()) ?? -1
        let (end, endOverflow) = start.addingReportingOverflow(rows)
        guard rank >= 1, inner == rowSize, start >= 0, rows > 0, !endOverflow, end <= dims[0] else {
            throw DataError.shard(path, "dataset \(name) has shape \(dims); cannot read \(rows) rows of \(rowSize) from row \(start)")
        }
        guard let values = ShardSize.product([rows, rowSize]), let bytes = ShardSize.product([values, MemoryLayout<T>.stride]),
              bytes <= decodedByteLimit(ds) else {
            throw DataError.shard(path, "dataset \(name): \(rows) rows of \(rowSize) values is more than a \(fileSize)-byte file can hold")
        }
        var out = [T](repeating: zero, count: values)
        let fileSpace = H5Dget_space(ds)
        guard fileSpace >= 0 else { throw fail("cannot read \(name)") }
        defer { H5Sclose(fileSpace) }
        var offset = [hsize_t](repeating: 0, count: rank)
        offset[0] = hsize_t(start)
        var count = dims.map { hsize_t($0) }
        count[0] = hsize_t(rows)
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, offset, nil, count, nil) >= 0 else { throw fail("cannot read \(name)") }
        let memSpace = H5Screate_simple(Int32(rank), count, nil)
        guard memSpace >= 0 else { throw fail("cannot read \(name)") }
        defer { H5Sclose(memSpace) }
        let rc = out.withUnsafeMutableBytes { H5Dread(ds, type, memSpace, fileSpace, chdf5_p_default(), $0.baseAddress) }
        guard rc >= 0 else { throw fail("cannot read \(name)") }
        return out
    }

    func readAll<T>(_ name: String, type: hid_t, zero: T) throws -> [T] {
        let s = try shape(name)
        let rows = s.first ?? 0
        return try read(name, type: type, start: 0, rows: rows, rowSize: ShardSize.product(s.dropFirst()) ?? 0, zero: zero)
    }

    func readStrings(_ name: String) throws -> [String] {
        let s = try shape(name)
        guard s.count == 1 else { throw DataError.shard(path, "dataset \(name) has shape \(s), expected one axis of strings") }
        let n = s[0]
        if n == 0 { return [] }
        // Each variable-length string costs at least 16 bytes of heap reference in the file.
        guard n <= fileSize / 16 else {
            throw DataError.shard(path, "dataset \(name) claims \(n) strings, more than a \(fileSize)-byte file can hold")
        }
        let ds = try openDataset(name)
        defer { H5Dclose(ds) }
        let type = HDF5File.utf8VariableString()
        defer { H5Tclose(type) }
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        guard H5Dread(ds, type, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &pointers) >= 0 else {
            throw fail("cannot read strings \(name)")
        }
        let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
        let space = H5Dget_space(ds)
        H5Dvlen_reclaim(type, space, chdf5_p_default(), &pointers)
        H5Sclose(space)
        return strings
    }
}

/// A chunked dataset open for appending rows.
final class GrowingDataset {
    unowned let file: HDF5File
    let name: String
    private var id: hid_t
    let type: hid_t
    let inner: [Int]
    private(set) var rows = 0

    init(file: HDF5File, name: String, id: hid_t, type: hid_t, inner: [Int]) {
        self.file = file
        self.name = name
        self.id = id
        self.type = type
        self.inner = inner
    }

    /// Appends `values.count / rowSize` rows.
    func append<T>(_ values: [T]) throws {
        let rowSize = inner.reduce(1, *)
        let newRows = values.count / rowSize
        guard newRows > 0 else { return }
        let newDims = [hsize_t(rows + newRows)] + inner.map { hsize_t($0) }
        guard H5Dset_extent(id, newDims) >= 0 else { throw file.fail("cannot grow \(name)") }
        let fileSpace = H5Dget_space(id)
        defer { H5Sclose(fileSpace) }
        let offset = [hsize_t(rows)] + inner.map { _ in hsize_t(0) }
        let count = [hsize_t(newRows)] + inner.map { hsize_t($0) }
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, offset, nil, count, nil)
        let memSpace = H5Screate_simple(Int32(count.count), count, nil)
        defer { H5Sclose(memSpace) }
        let rc = values.withUnsafeBytes { H5Dwrite(id, type, memSpace, fileSpace, chdf5_p_default(), $0.baseAddress) }
        guard rc >= 0 else { throw file.fail("cannot append to \(name)") }
        rows += newRows
    }

    func close() {
        if id >= 0 { H5Dclose(id) }
        id = -1
    }

    deinit { close() }
}
