/* clone.S - clone_thread(flags, stack, ptid, ctid, tls, entry, arg): start a thread running entry(arg). */
    .text
    .global clone_thread
    .type clone_thread, @function
clone_thread:
    /* rdi=flags rsi=stack rdx=ptid rcx=ctid r8=tls r9=entry 8(%rsp)=arg */
    mov 8(%rsp), %rax
    and $-16, %rsi
    sub $16, %rsi
    mov %r9, 0(%rsi)            /* child pops entry ... */
    mov %rax, 8(%rsi)           /* ... then arg */
    mov %rcx, %r10              /* syscall arg 4 is r10 */
    mov $56, %eax               /* SYS_clone(flags, stack, ptid, ctid, tls) */
    syscall
    test %rax, %rax
    jnz 1f                      /* parent: tid, or -errno */
    xor %ebp, %ebp              /* child: on the new stack, %fs = tls */
    pop %rax
    pop %rdi
    call *%rax                  /* entry never returns; exit just in case */
    mov $60, %eax
    xor %edi, %edi
    syscall
    hlt
1:
    ret
    .size clone_thread, . - clone_thread
    .section .note.GNU-stack, "", @progbits
