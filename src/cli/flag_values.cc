#include "src/cli/flag_values.h"

#include <limits>

namespace echo {

std::string QuoteForMessage(const std::string& text) {
  constexpr size_t kMaxShown = 64;
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out + "'";
}

bool ParseUnsigned(const std::string& text, uint64_t max, uint64_t* value) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (v > max) return false;
  *value = v;
  return true;
}

bool ParseByteSize(const std::string& text, uint64_t max, uint64_t* bytes) {
  uint64_t unit = 1;
  std::string digits = text;
  const char last = digits.empty() ? '\0' : digits.back();
  if (last == 'k' || last == 'K') unit = uint64_t{1} << 10;
  if (last == 'm' || last == 'M') unit = uint64_t{1} << 20;
  if (last == 'g' || last == 'G') unit = uint64_t{1} << 30;
  if (unit != 1) digits.pop_back();
  uint64_t n = 0;
  if (!ParseUnsigned(digits, max / unit, &n) || n == 0) return false;
  *bytes = n * unit;
  return true;
}

bool ParseSeconds(const std::string& text, int64_t max_ms, int64_t* ms) {
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (dot != std::string::npos && (fraction.empty() || fraction.size() > 3)) return false;
  for (const char c : fraction) {
    if (c < '0' || c > '9') return false;
  }
  uint64_t seconds = 0;
  if (!ParseUnsigned(whole, static_cast<uint64_t>(max_ms / 1000), &seconds)) return false;
  fraction.resize(3, '0');
  const int64_t value = static_cast<int64_t>(seconds) * 1000 + std::stoi(fraction);
  if (value > max_ms) return false;
  *ms = value;
  return true;
}

}  // namespace echo
