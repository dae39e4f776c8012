// userstream: the user channel into JetStream CM_USER, nothing lost or doubled (design.md s1, s5).
#include "services/userstream/service/user_stream_service.h"

int main(int argc, char** argv) {
  return clobmaker::service::RunService<clobmaker::userstream::UserStreamService>(argc, argv);
}
