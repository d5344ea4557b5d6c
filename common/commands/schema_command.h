#pragma once
// sync-schema: applies migrations; manages cluster roles and deployments.
// Everything here uses the admin connection ([postgres] admin_conninfo),
// except check-role, which connects as the node does ([postgres] conninfo)
// unless --all.

#include <string>

#include "common/config.h"
#include "common/exit_code.h"

namespace tenantsync {

struct SchemaOptions {
  enum class Command {
    kApply, kStatus, kClusterAdd, kClusterList, kRotatePassword,
    kDeploymentAdd, kDeploymentList, kDeploymentRemove, kDeploymentUpgrade, kCheckRole, kPrune,
  };
  Command command = Command::kApply;
  bool dry_run = false;
  bool json = false;
  std::string cluster;
  std::string name;            // deployment name
  std::string sqlite_path;
  std::string target_schema;
  std::string password_file;
  bool print_password = false;
  bool if_not_exists = false;
  bool include_disabled = false;
  bool create_tables = false;  // deployment add --create-tables
  bool all = false;            // check-role --all: every cluster's role, as the admin
};

ExitCode RunSchema(const Config& config, const SchemaOptions& options);

}  // namespace tenantsync
