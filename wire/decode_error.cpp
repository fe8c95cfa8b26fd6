#include "wire/decode_error.hpp"

namespace elmo::wire {

const char* to_string(DecodeErrorCode code) {
    switch (code) {
        case DecodeErrorCode::empty: return "empty";
        case DecodeErrorCode::bad_magic: return "bad_magic";
        case DecodeErrorCode::too_large: return "too_large";
        case DecodeErrorCode::truncated: return "truncated";
        case DecodeErrorCode::malformed: return "malformed";
        case DecodeErrorCode::trailing_bytes: return "trailing_bytes";
        case DecodeErrorCode::bad_envelope: return "bad_envelope";
        case DecodeErrorCode::unsupported_version: return "unsupported_version";
        case DecodeErrorCode::unknown_type: return "unknown_type";
        case DecodeErrorCode::wrong_type: return "wrong_type";
        case DecodeErrorCode::missing_field: return "missing_field";
        case DecodeErrorCode::extra_field: return "extra_field";
        case DecodeErrorCode::out_of_range: return "out_of_range";
        case DecodeErrorCode::invalid_value: return "invalid_value";
        case DecodeErrorCode::id_mismatch: return "id_mismatch";
    }
    return "unknown";
}

std::string DecodeError::to_string() const {
    std::string s = wire::to_string(code);
    if (what && *what) {
        s += ": ";
        s += what;
    }
    if (code == DecodeErrorCode::too_large) s += " (limit " + std::to_string(limit) + ")";
    return s;
}

}  // namespace elmo::wire
