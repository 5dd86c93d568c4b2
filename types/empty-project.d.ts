// Keeps a runtime configuration valid while its folder is still empty (tsc refuses a project with
// no inputs, TS18003). Declares nothing.
export {}
