#include "common/signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace tenantsync {
namespace {

volatile sig_atomic_t g_stop_signal = 0;

extern "C" void OnStopSignal(int signal) { g_stop_signal = signal; }

}  // namespace

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking read returns, so the stop is seen sooner
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

int StopSignal() { return g_stop_signal; }

void ThrowIfStopRequested() {
  if (int signal = g_stop_signal; signal != 0) throw StopRequested{signal};
}

void DieOfSignal(int signal) {
  ::signal(signal, SIG_DFL);
  raise(signal);
  _exit(128 + signal);  // not reached unless the signal is blocked
}

}  // namespace tenantsync
