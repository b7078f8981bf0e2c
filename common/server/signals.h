// Termination signals as an event a thread can wait for, instead of an
// asynchronous handler: BlockTerminationSignals() must run in main() before
// any thread starts, so every thread inherits the mask and only the waiter
// receives SIGTERM/SIGINT.
#ifndef REEL_COMMON_SERVER_SIGNALS_H_
#define REEL_COMMON_SERVER_SIGNALS_H_

namespace reel {

void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace reel

#endif  // REEL_COMMON_SERVER_SIGNALS_H_
