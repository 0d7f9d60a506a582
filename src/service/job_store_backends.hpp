// The job store back ends, opened through open_job_store().
#pragma once

#include <memory>
#include <string>

#include "fluxion/service/job_store.hpp"

namespace fluxion::service {

Result<std::unique_ptr<JobStore>> open_sqlite_job_store(const std::string& path);
Result<std::unique_ptr<JobStore>> open_postgres_job_store(const std::string& url);
// The message a recovered job carries.
std::string recovery_message(int attempts, int max_attempts, bool requeued);

}  // namespace fluxion::service
