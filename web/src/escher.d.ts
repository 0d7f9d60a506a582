// escher@1.8.2 ships no type declarations; the part fluxion uses.
declare module "escher" {
  interface EscherBuilder {
    set_reaction_data(data: Record<string, number> | null): void;
  }
  interface EscherModule {
    Builder(map: unknown, model: unknown, css: string | null, selection: unknown, options: Record<string, unknown>): EscherBuilder;
    libs: { d3_select: (element: Element) => unknown };
  }
  const escher: EscherModule;
  export default escher;
}
