#include "agent/api/http.hpp"

#include <algorithm>

#include "common/json/error_body.hpp"

namespace sharectl::agent::api {

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : m_fields) {
    if (iequals(key, name)) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [key, value] : m_fields) {
    if (iequals(key, name)) {
      out.emplace_back(value);
    }
  }
  return out;
}

void Headers::add(std::string name, std::string value) {
  m_fields.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  erase(name);
  add(std::move(name), std::move(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(m_fields, [&](const auto& field) { return iequals(field.first, name); });
}

std::string_view Request::param(std::string_view name) const {
  const auto it = path_params.find(name);
  return it == path_params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [key, value] : query_params) {
    if (key == name) {
      return std::string_view(value);
    }
  }
  return std::nullopt;
}

Response Response::make(int status, std::string content_type, std::string body) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

Response Response::json(int status, std::string body) {
  return make(status, "application/json", std::move(body));
}

Response Response::text(int status, std::string body) {
  return make(status, "text/plain; charset=utf-8", std::move(body));
}

Response Response::no_content() {
  Response response;
  response.status = 204;
  return response;
}

Response error_response(const Error& error, std::string_view request_id) {
  return error_response(http_status(error.code), error, request_id);
}

Response error_response(int status, const Error& error, std::string_view request_id) {
  auto response = Response::json(status, json::error_body(error, request_id));
  response.headers.set("Cache-Control", "no-store");
  if (status == 503) {
    response.headers.set("Retry-After", "1"); // a store or host gone for now: try again soon
  }
  return response;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

std::string_view reason_phrase(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 304:
    return "Not Modified";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 409:
    return "Conflict";
  case 411:
    return "Length Required";
  case 412:
    return "Precondition Failed";
  case 413:
    return "Content Too Large";
  case 415:
    return "Unsupported Media Type";
  case 422:
    return "Unprocessable Content";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 503:
    return "Service Unavailable";
  default:
    return "Unknown";
  }
}

} // namespace sharectl::agent::api
