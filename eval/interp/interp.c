/* A small stack-machine interpreter: the dispatch shapes of real bytecode
 * interpreters (CPython's ceval, Ruby, Perl, BEAM), for bingraph's accuracy
 * evaluation. `run_goto` dispatches with GCC's labels-as-values
 * (`goto *table[op]`), `run_switch` with a big switch, `describe` is a
 * switch over opcode names; the helpers they call give call edges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL,
    OP_DIV, OP_MOD, OP_NEG, OP_AND, OP_OR, OP_XOR, OP_NOT, OP_SHL, OP_SHR,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_JMP, OP_JZ, OP_JNZ, OP_CALL,
    OP_RET, OP_LOAD, OP_STORE, OP_PRINT, OP_HASH, OP_MIN, OP_MAX, OP_ABS,
    OP_INC, OP_DEC, OP_SQR, OP_NOP, OP_COUNT
};

struct vm {
    long stack[256];
    int sp;
    long mem[64];
    int frames[64];
    int fp;
    long steps;
    FILE *out;
};

__attribute__((noinline)) static void vm_error(struct vm *vm, const char *what) {
    fprintf(stderr, "vm error after %ld steps: %s\n", vm->steps, what);
    exit(2);
}

__attribute__((noinline)) static void push(struct vm *vm, long v) {
    if (vm->sp >= 256)
        vm_error(vm, "stack overflow");
    vm->stack[vm->sp++] = v;
}

__attribute__((noinline)) static long pop(struct vm *vm) {
    if (vm->sp <= 0)
        vm_error(vm, "stack underflow");
    return vm->stack[--vm->sp];
}

__attribute__((noinline)) static long checked_div(struct vm *vm, long a, long b) {
    if (b == 0)
        vm_error(vm, "division by zero");
    return a / b;
}

__attribute__((noinline)) static long hash_long(long v) {
    unsigned long h = 1469598103934665603UL;
    for (int i = 0; i < 8; i++) {
        h ^= (unsigned long)(v >> (i * 8)) & 0xff;
        h *= 1099511628211UL;
    }
    return (long)(h >> 1);
}

__attribute__((noinline)) static void print_value(struct vm *vm, long v) {
    fprintf(vm->out, "%ld\n", v);
}

/* Computed-goto dispatch: one indirect jump per opcode, through a table of
 * label addresses in .data.rel.ro (PIE) or .rodata. */
__attribute__((noinline)) long run_goto(struct vm *vm, const long *code, int len) {
    static void *labels[OP_COUNT] = {
        &&l_halt, &&l_push, &&l_pop, &&l_dup, &&l_swap, &&l_over, &&l_add, &&l_sub,
        &&l_mul, &&l_div, &&l_mod, &&l_neg, &&l_and, &&l_or, &&l_xor, &&l_not,
        &&l_shl, &&l_shr, &&l_eq, &&l_ne, &&l_lt, &&l_le, &&l_gt, &&l_ge,
        &&l_jmp, &&l_jz, &&l_jnz, &&l_call, &&l_ret, &&l_load, &&l_store, &&l_print,
        &&l_hash, &&l_min, &&l_max, &&l_abs, &&l_inc, &&l_dec, &&l_sqr, &&l_nop,
    };
    int pc = 0;
    long a, b;
#define NEXT                                                   \
    do {                                                       \
        if (pc >= len || (unsigned long)code[pc] >= OP_COUNT)  \
            vm_error(vm, "bad code");                          \
        vm->steps++;                                           \
        goto *labels[code[pc++]];                              \
    } while (0)
    NEXT;
l_halt: return vm->sp ? vm->stack[vm->sp - 1] : 0;
l_push: push(vm, code[pc++]); NEXT;
l_pop: pop(vm); NEXT;
l_dup: a = pop(vm); push(vm, a); push(vm, a); NEXT;
l_swap: a = pop(vm); b = pop(vm); push(vm, a); push(vm, b); NEXT;
l_over: a = pop(vm); b = pop(vm); push(vm, b); push(vm, a); push(vm, b); NEXT;
l_add: a = pop(vm); b = pop(vm); push(vm, b + a); NEXT;
l_sub: a = pop(vm); b = pop(vm); push(vm, b - a); NEXT;
l_mul: a = pop(vm); b = pop(vm); push(vm, b * a); NEXT;
l_div: a = pop(vm); b = pop(vm); push(vm, checked_div(vm, b, a)); NEXT;
l_mod: a = pop(vm); b = pop(vm); push(vm, a ? b % a : 0); NEXT;
l_neg: push(vm, -pop(vm)); NEXT;
l_and: a = pop(vm); b = pop(vm); push(vm, b & a); NEXT;
l_or: a = pop(vm); b = pop(vm); push(vm, b | a); NEXT;
l_xor: a = pop(vm); b = pop(vm); push(vm, b ^ a); NEXT;
l_not: push(vm, ~pop(vm)); NEXT;
l_shl: a = pop(vm); b = pop(vm); push(vm, b << (a & 63)); NEXT;
l_shr: a = pop(vm); b = pop(vm); push(vm, b >> (a & 63)); NEXT;
l_eq: a = pop(vm); b = pop(vm); push(vm, b == a); NEXT;
l_ne: a = pop(vm); b = pop(vm); push(vm, b != a); NEXT;
l_lt: a = pop(vm); b = pop(vm); push(vm, b < a); NEXT;
l_le: a = pop(vm); b = pop(vm); push(vm, b <= a); NEXT;
l_gt: a = pop(vm); b = pop(vm); push(vm, b > a); NEXT;
l_ge: a = pop(vm); b = pop(vm); push(vm, b >= a); NEXT;
l_jmp: pc = (int)code[pc]; NEXT;
l_jz: a = pop(vm); pc = a ? pc + 1 : (int)code[pc]; NEXT;
l_jnz: a = pop(vm); pc = a ? (int)code[pc] : pc + 1; NEXT;
l_call:
    if (vm->fp >= 64)
        vm_error(vm, "call depth");
    vm->frames[vm->fp++] = pc + 1;
    pc = (int)code[pc];
    NEXT;
l_ret:
    if (vm->fp <= 0)
        vm_error(vm, "return outside a call");
    pc = vm->frames[--vm->fp];
    NEXT;
l_load: push(vm, vm->mem[code[pc++] & 63]); NEXT;
l_store: vm->mem[code[pc++] & 63] = pop(vm); NEXT;
l_print: print_value(vm, pop(vm)); NEXT;
l_hash: push(vm, hash_long(pop(vm))); NEXT;
l_min: a = pop(vm); b = pop(vm); push(vm, a < b ? a : b); NEXT;
l_max: a = pop(vm); b = pop(vm); push(vm, a > b ? a : b); NEXT;
l_abs: a = pop(vm); push(vm, a < 0 ? -a : a); NEXT;
l_inc: push(vm, pop(vm) + 1); NEXT;
l_dec: push(vm, pop(vm) - 1); NEXT;
l_sqr: a = pop(vm); push(vm, a * a); NEXT;
l_nop: NEXT;
#undef NEXT
}

/* The same machine with a switch: gcc and clang emit a jump table. */
__attribute__((noinline)) long run_switch(struct vm *vm, const long *code, int len) {
    int pc = 0;
    long a, b;
    for (;;) {
        if (pc >= len)
            vm_error(vm, "ran off the code");
        vm->steps++;
        switch (code[pc++]) {
        case OP_HALT: return vm->sp ? vm->stack[vm->sp - 1] : 0;
        case OP_PUSH: push(vm, code[pc++]); break;
        case OP_POP: pop(vm); break;
        case OP_DUP: a = pop(vm); push(vm, a); push(vm, a); break;
        case OP_SWAP: a = pop(vm); b = pop(vm); push(vm, a); push(vm, b); break;
        case OP_OVER: a = pop(vm); b = pop(vm); push(vm, b); push(vm, a); push(vm, b); break;
        case OP_ADD: a = pop(vm); b = pop(vm); push(vm, b + a); break;
        case OP_SUB: a = pop(vm); b = pop(vm); push(vm, b - a); break;
        case OP_MUL: a = pop(vm); b = pop(vm); push(vm, b * a); break;
        case OP_DIV: a = pop(vm); b = pop(vm); push(vm, checked_div(vm, b, a)); break;
        case OP_MOD: a = pop(vm); b = pop(vm); push(vm, a ? b % a : 0); break;
        case OP_NEG: push(vm, -pop(vm)); break;
        case OP_AND: a = pop(vm); b = pop(vm); push(vm, b & a); break;
        case OP_OR: a = pop(vm); b = pop(vm); push(vm, b | a); break;
        case OP_XOR: a = pop(vm); b = pop(vm); push(vm, b ^ a); break;
        case OP_NOT: push(vm, ~pop(vm)); break;
        case OP_SHL: a = pop(vm); b = pop(vm); push(vm, b << (a & 63)); break;
        case OP_SHR: a = pop(vm); b = pop(vm); push(vm, b >> (a & 63)); break;
        case OP_EQ: a = pop(vm); b = pop(vm); push(vm, b == a); break;
        case OP_NE: a = pop(vm); b = pop(vm); push(vm, b != a); break;
        case OP_LT: a = pop(vm); b = pop(vm); push(vm, b < a); break;
        case OP_LE: a = pop(vm); b = pop(vm); push(vm, b <= a); break;
        case OP_GT: a = pop(vm); b = pop(vm); push(vm, b > a); break;
        case OP_GE: a = pop(vm); b = pop(vm); push(vm, b >= a); break;
        case OP_JMP: pc = (int)code[pc]; break;
        case OP_JZ: a = pop(vm); pc = a ? pc + 1 : (int)code[pc]; break;
        case OP_JNZ: a = pop(vm); pc = a ? (int)code[pc] : pc + 1; break;
        case OP_CALL:
            if (vm->fp >= 64)
                vm_error(vm, "call depth");
            vm->frames[vm->fp++] = pc + 1;
            pc = (int)code[pc];
            break;
        case OP_RET:
            if (vm->fp <= 0)
                vm_error(vm, "return outside a call");
            pc = vm->frames[--vm->fp];
            break;
        case OP_LOAD: push(vm, vm->mem[code[pc++] & 63]); break;
        case OP_STORE: vm->mem[code[pc++] & 63] = pop(vm); break;
        case OP_PRINT: print_value(vm, pop(vm)); break;
        case OP_HASH: push(vm, hash_long(pop(vm))); break;
        case OP_MIN: a = pop(vm); b = pop(vm); push(vm, a < b ? a : b); break;
        case OP_MAX: a = pop(vm); b = pop(vm); push(vm, a > b ? a : b); break;
        case OP_ABS: a = pop(vm); push(vm, a < 0 ? -a : a); break;
        case OP_INC: push(vm, pop(vm) + 1); break;
        case OP_DEC: push(vm, pop(vm) - 1); break;
        case OP_SQR: a = pop(vm); push(vm, a * a); break;
        case OP_NOP: break;
        default: vm_error(vm, "bad opcode");
        }
    }
}

/* A switch returning strings: a table of offsets or of addresses. */
__attribute__((noinline)) const char *describe(long op) {
    switch (op) {
    case OP_HALT: return "halt";
    case OP_PUSH: return "push";
    case OP_POP: return "pop";
    case OP_DUP: return "dup";
    case OP_SWAP: return "swap";
    case OP_OVER: return "over";
    case OP_ADD: return "add";
    case OP_SUB: return "sub";
    case OP_MUL: return "mul";
    case OP_DIV: return "div";
    case OP_MOD: return "mod";
    case OP_NEG: return "neg";
    case OP_JMP: return "jmp";
    case OP_JZ: return "jz";
    case OP_JNZ: return "jnz";
    case OP_CALL: return "call";
    case OP_RET: return "ret";
    case OP_PRINT: return "print";
    default: return "other";
    }
}

/* Callbacks in a table no indirect jump consumes: real function starts. */
static long cb_twice(long v) { return v * 2; }
static long cb_square(long v) { return v * v; }
static long cb_hash(long v) { return hash_long(v); }
static long (*const callbacks[])(long) = {cb_twice, cb_square, cb_hash};

__attribute__((noinline)) static void dump(const long *code, int len, FILE *out) {
    for (int pc = 0; pc < len; pc++)
        fprintf(out, "%3d %s %ld\n", pc, describe(code[pc]), code[pc]);
}

__attribute__((noinline)) static int assemble(long *code, long n) {
    int pc = 0;
    code[pc++] = OP_PUSH; code[pc++] = n;
    code[pc++] = OP_STORE; code[pc++] = 0;
    code[pc++] = OP_PUSH; code[pc++] = 0;
    code[pc++] = OP_STORE; code[pc++] = 1;
    int loop = pc;
    code[pc++] = OP_LOAD; code[pc++] = 0;
    code[pc++] = OP_JZ; int exit_at = pc; code[pc++] = 0;
    code[pc++] = OP_LOAD; code[pc++] = 1;
    code[pc++] = OP_LOAD; code[pc++] = 0;
    code[pc++] = OP_SQR;
    code[pc++] = OP_ADD;
    code[pc++] = OP_HASH;
    code[pc++] = OP_PUSH; code[pc++] = 1000003;
    code[pc++] = OP_MOD;
    code[pc++] = OP_STORE; code[pc++] = 1;
    code[pc++] = OP_LOAD; code[pc++] = 0;
    code[pc++] = OP_DEC;
    code[pc++] = OP_STORE; code[pc++] = 0;
    code[pc++] = OP_JMP; code[pc++] = loop;
    code[exit_at] = pc;
    code[pc++] = OP_LOAD; code[pc++] = 1;
    code[pc++] = OP_DUP;
    code[pc++] = OP_PRINT;
    code[pc++] = OP_HALT;
    return pc;
}

int main(int argc, char **argv) {
    long code[128];
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
    int len = assemble(code, n);
    struct vm vm;
    memset(&vm, 0, sizeof vm);
    vm.out = stdout;
    if (argc > 2 && strcmp(argv[2], "dump") == 0)
        dump(code, len, stdout);
    long a = run_goto(&vm, code, len);
    memset(&vm, 0, sizeof vm);
    vm.out = stdout;
    long b = run_switch(&vm, code, len);
    long c = callbacks[(unsigned long)n % 3](a);
    printf("%ld %ld %ld %s\n", a, b, c, a == b ? "same" : "differ");
    return a == b ? 0 : 1;
}
