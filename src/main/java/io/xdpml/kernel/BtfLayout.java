package io.xdpml.kernel;

/**
 * Offsets of the BTF structures read through {@code btf__type_by_id} (linux/btf.h).
 * <pre>
 * struct btf_type        { u32 name_off; u32 info; u32 size_or_type; }        12 bytes
 *   info: bits 0-15 vlen, bits 24-28 kind, bit 31 kind_flag
 * struct btf_var_secinfo { u32 type; u32 offset; u32 size; }                   12 bytes
 * </pre>
 * A DATASEC type is followed by vlen {@code btf_var_secinfo}; each names a VAR whose
 * {@code name_off} is the variable's name.
 */
final class BtfLayout {
    private BtfLayout() {}

    static final int TYPE_NAME_OFF = 0;
    static final int TYPE_INFO = 4;
    static final int TYPE_SIZE_OR_TYPE = 8;
    static final int TYPE_SIZE = 12;

    static final int SECINFO_TYPE = 0;
    static final int SECINFO_OFFSET = 4;
    static final int SECINFO_SIZE_FIELD = 8;
    static final int SECINFO_SIZE = 12;

    static final int KIND_VAR = 14;
    static final int KIND_DATASEC = 15;

    static int kind(int info) { return (info >>> 24) & 0x1f; }

    static int vlen(int info) { return info & 0xffff; }
}
