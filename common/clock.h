/* clock: the two clocks the project uses. Monotonic time drives every timeout and TILT; wall time
 * is only for display (INFO, logs, history records). Decision logic never calls these directly: it
 * receives `now` from its caller so tests can use a fake clock. */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <stdint.h>

int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);
int64_t clock_wall_ms(void);
int64_t clock_wall_us(void);
/* Block the calling thread for ms milliseconds (monotonic; resumed after a signal). For command
 * line tools and tests only: a server thread never sleeps. */
void clock_sleep_ms(int64_t ms);

#endif
