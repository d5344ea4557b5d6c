#pragma once
// SIGTERM and SIGINT ask a tool to stop at the next safe point (between two
// batches), never in the middle of a write: the open transaction rolls back,
// and the process then dies of the same signal, as systemd expects.

namespace tenantsync {

// Installs the handlers; RunTool() calls it before the tool's body.
void InstallStopHandlers();

// The signal received (SIGTERM, SIGINT), or 0.
int StopSignal();

// Throws StopRequested when a stop signal arrived.
void ThrowIfStopRequested();

struct StopRequested {
  int signal;
};

// Restores the default action for `signal` and raises it.
[[noreturn]] void DieOfSignal(int signal);

}  // namespace tenantsync
