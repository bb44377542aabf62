/* crt0.c - process entry: _start reads argc/argv/envp from the SysV initial stack and runs main. */
#include "stdlib.h"
#include "sys.h"
#include "thread.h"

char **environ;

int main(int argc, char **argv, char **envp);

/* At entry rsp points at argc; argv[] and envp[] follow. Keep rsp 16-byte aligned for the call. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call __libc_start\n"
        "    hlt\n"
        ".size _start, . - _start\n");

__attribute__((noreturn, used)) void __libc_start(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;

    environ = envp;
    thread_init_main();
    exit(main(argc, argv, envp));
}
