// What the git step is asked to record: one commit of a change set on a deployment's branch.
#pragma once

#include <filesystem>
#include <string>

#include "slipway/v1/artifacts.pb.h"
#include "slipway/v1/recommendation.pb.h"

namespace slipway::gitsvc {

struct CommitRequest {
  std::filesystem::path repository;   // local repository (work tree or bare)
  std::string base_commit;            // 40-hex
  std::string deployment_id;          // UUID
  v1::Recommendation recommendation;  // title, source (book, chapter), description
  v1::ChangeSet change_set;
  std::string steps_summary;  // lines describing each step's result, put in the message body
  v1::TestReport tests;       // counts go in the message
  std::string branch_prefix = "slipway";
  std::string author_name = "Slipway";
  std::string author_email = "slipway@localhost";
};

}  // namespace slipway::gitsvc
