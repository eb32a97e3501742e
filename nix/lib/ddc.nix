# Diverse double-compiling (docs/ddc.md). A pass takes the chain's self-compile step (the chain's compiler A
# compiling the source S once more: A(S)) and builds
#   host:  S compiled by the host's compiler T, a derivation run by the host's /bin/sh (the sandbox sees the
#          host through `extra-sandbox-paths`, as lib.static's packages do), named for its compiler;
#   host2: the self-compile step's own derivation with one variable changed: `compilerVar` names host's
#          program instead of A. Same script, same source, same options, same libc (-B), same everything else.
# rootstock then requires host2's program to equal the self-compile step's byte for byte.
{
  pass =
    { name, selfCompile, compilerVar, program, host, meta ? { } }:
    let
      hostBuild = derivation (host.env // {
        name = "${name}-host-${host.compiler}";
        inherit (host) system;
        builder = "/bin/sh";
        args = [ host.script ];
        SOURCE = host.source;
        # The compiler's argv before the options (a list: Nix passes it space-separated).
        CC_ARGV = host.argv;
        PROGRAM = program;
        PATH = "/usr/bin:/bin";
      }) // { meta = { compiler = host.compiler; argv = host.argv; }; };
      # A fixed-output step's attributes less its pinned hash: host2 is input-addressed, its bytes compared
      # by rootstock (a mismatch is the pass's verdict, not a hash error).
      attrs = builtins.removeAttrs selfCompile.drvAttrs [ "outputHash" "outputHashMode" "outputHashAlgo" ];
      host2 = derivation (attrs // {
        name = "${name}-host2";
        ${compilerVar} = "${hostBuild}/${program}";
      });
    in
    { host = hostBuild; inherit host2; meta = meta; };
}
