/* errno.h - the (process-wide, not per-thread) errno variable and the codes the programs test. */
#ifndef PAGELAB_ERRNO_H
#define PAGELAB_ERRNO_H

extern int errno;

#define ENOENT 2
#define EINTR  4
#define EBADF  9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22

#endif
