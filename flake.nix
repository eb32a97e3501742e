{
  description = "rootstock: a Nix toolchain whose every layer is accounted for";

  # No inputs: the bootstrap stages are plain derivations and never need nixpkgs.
  outputs = { self }:
    let
      # The evaluator fetches the git sources the store lacks, so `nix flake check` needs no rootstock step
      # first (docs/flake.md). ROOTSTOCK_NO_FETCH=1, seen only with --impure, evaluates without the network:
      # what `rootstock pins fetch` has not placed then fails to build, with instructions.
      rootstock = import ./nix { root = ./.; fetchGit = builtins.getEnv "ROOTSTOCK_NO_FETCH" != "1"; };
      forSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) rootstock.systems);
    in
    {
      inherit (rootstock) lib;
      # Every step of the chain, by name: `nix build .#kaem-unwrapped` builds the chain up to it. On the
      # static recipe's system, `nix-static` is the static musl nix (its builds need the host paths of
      # static-nix.toml as extra-sandbox-paths; `rootstock build nix-static` passes them).
      packages = forSystems (system: rootstock.stages.${system}
        // (if system == rootstock.static.system or null
            then { nix-static = rootstock.static.packages.${rootstock.static.defaultToolchain}.${rootstock.static.subject}; }
            else { }));
      # `nix flake check` builds every step; each fixed-output step is checked against its pinned hash.
      checks = forSystems (system: rootstock.stages.${system});
      # `nix run .#bootstrap`. The program names the flake's own source without its string context: Nix 2.8 to
      # 2.12 turn a source path's context into a derivation output to build and abort on an assertion
      # (docs/flake.md); the source is in the store already, as every flake is before it is evaluated.
      apps = forSystems (_system: {
        bootstrap = {
          type = "app";
          program = builtins.unsafeDiscardStringContext "${self}/dev/nix-run-bootstrap";
          meta.description = "Build stage 0 of the bootstrap chain with every pin and output hash checked";
        };
      });
    };
}
