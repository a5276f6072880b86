#include "bank_data.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace bank_sim {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
Day days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

Civil civil_from_days(Day z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10 % 10);
  p[1] = static_cast<char>('0' + v % 10);
}

void put4(char* p, std::int64_t v) {
  put2(p, static_cast<unsigned>(v / 100 % 100));
  put2(p + 2, static_cast<unsigned>(v % 100));
}

constexpr std::array<std::string_view, 26> kSellers = {
    "Exxon",          "Shell",        "Chevron",      "Target",
    "Walmart",        "Whole Foods",  "Trader Joe's", "Starbucks",
    "McDonald's",     "Chipotle",     "Amazon",       "Netflix",
    "Spotify",        "Uber",         "Lyft",         "Delta Air Lines",
    "Marriott",       "CVS Pharmacy", "Walgreens",    "Comcast",
    "AT&T",           "Home Depot",   "Joe's Diner",  "Corner Shop 42",
    "Bluebird Books", "Sunrise Yoga"};

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<Day> parse_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-')
    return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (t[i] < '0' || t[i] > '9')
      return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) {
    unsigned v = 0;
    for (std::size_t i = pos; i < pos + len; ++i)
      v = v * 10 + static_cast<unsigned>(t[i] - '0');
    return v;
  };
  const std::int64_t y = num(0, 4);
  const unsigned m = num(5, 2);
  const unsigned d = num(8, 2);
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return std::nullopt;
  return days_from_civil(y, m, d);
}

std::string format_date(Day day) {
  const Civil c = civil_from_days(day);
  std::string out(10, '-');
  put4(&out[0], c.year);
  put2(&out[5], c.month);
  put2(&out[8], c.day);
  return out;
}

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::uint64_t fmix64(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

std::optional<std::string> decode_base64(std::string_view in) {
  while (!in.empty() && in.back() == '=')
    in.remove_suffix(1);
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) // a single dangling character cannot encode a byte
    return std::nullopt;
  return out;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      } else {
        out.push_back(ch);
      }
    }
  }
  out.push_back('"');
}

void append_uint(std::string& out, std::uint64_t value) {
  char buf[20];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

std::string transactions_json(std::string_view login, Day since,
                              const Calendar& cal) {
  const Day first = std::max(since, cal.start);
  const std::int64_t days = first <= cal.end ? cal.end - first + 1 : 0;
  const auto count = static_cast<std::size_t>(days) *
                     static_cast<std::size_t>(std::max(cal.per_day, 0));

  std::string escaped_login;
  append_json_string(escaped_login, login); // with its quotes
  std::string_view login_body(escaped_login);
  login_body = login_body.substr(1, login_body.size() - 2);

  std::string out;
  out.reserve(2 + count * (110 + login_body.size()));
  out.push_back('[');

  // The id hashed: "<login>-YYYYMMDD-<k>".
  std::string id(login);
  id.push_back('-');
  const std::size_t date_pos = id.size();
  id.append("YYYYMMDD-");
  const std::size_t k_pos = id.size();

  struct Item {
    std::uint32_t second_of_day;
    int k;
    std::uint64_t hash;
  };
  std::array<Item, 64> small{};
  bool first_item = true;

  for (Day day = first; day <= cal.end; ++day) {
    const Civil c = civil_from_days(day);
    char ymd[8];
    put4(ymd, c.year);
    put2(ymd + 4, c.month);
    put2(ymd + 6, c.day);
    id.replace(date_pos, 8, ymd, 8);

    // Order the day's transactions by time of day (then k).
    auto emit = [&](const Item& it) {
      if (!first_item)
        out.push_back(',');
      first_item = false;
      const std::uint64_t h = it.hash;
      const std::uint64_t cents = 100 + h % 24901;
      const std::string_view seller = kSellers[(h >> 20) % kSellers.size()];
      out += "{\"id\":\"";
      out.append(login_body);
      out.push_back('-');
      out.append(ymd, 8);
      out.push_back('-');
      append_uint(out, static_cast<std::uint64_t>(it.k));
      char ts[24];
      put4(ts, c.year);
      ts[4] = '-';
      put2(ts + 5, c.month);
      ts[7] = '-';
      put2(ts + 8, c.day);
      ts[10] = 'T';
      put2(ts + 11, it.second_of_day / 3600);
      ts[13] = ':';
      put2(ts + 14, it.second_of_day / 60 % 60);
      ts[16] = ':';
      put2(ts + 17, it.second_of_day % 60);
      ts[19] = 'Z';
      out += "\",\"created_at\":\"";
      out.append(ts, 20);
      out += "\",\"seller\":";
      append_json_string(out, seller);
      out += ",\"amount\":\"";
      append_uint(out, cents / 100);
      out.push_back('.');
      char frac[2];
      put2(frac, static_cast<unsigned>(cents % 100));
      out.append(frac, 2);
      out += "\"}";
    };

    auto make = [&](int k) {
      id.resize(k_pos);
      append_uint(id, static_cast<std::uint64_t>(k));
      const std::uint64_t h = fmix64(fnv1a64(id));
      const auto hour = static_cast<std::uint32_t>((h >> 32) % 24);
      const auto minute = static_cast<std::uint32_t>((h >> 40) % 60);
      const auto second = static_cast<std::uint32_t>((h >> 48) % 60);
      return Item{hour * 3600 + minute * 60 + second, k, h};
    };
    auto less = [](const Item& a, const Item& b) {
      return a.second_of_day != b.second_of_day
                 ? a.second_of_day < b.second_of_day
                 : a.k < b.k;
    };

    if (cal.per_day <= static_cast<int>(small.size())) {
      for (int k = 0; k < cal.per_day; ++k)
        small[static_cast<std::size_t>(k)] = make(k);
      std::sort(small.begin(), small.begin() + cal.per_day, less);
      for (int k = 0; k < cal.per_day; ++k)
        emit(small[static_cast<std::size_t>(k)]);
    } else {
      std::vector<Item> items;
      items.reserve(static_cast<std::size_t>(cal.per_day));
      for (int k = 0; k < cal.per_day; ++k)
        items.push_back(make(k));
      std::sort(items.begin(), items.end(), less);
      for (const Item& it : items)
        emit(it);
    }
  }
  out.push_back(']');
  return out;
}

} // namespace bank_sim
