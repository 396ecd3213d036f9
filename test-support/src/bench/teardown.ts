/**
 * Everything the bench starts (children, databases, temp folders) registers how to undo it here, so
 * that a failure or Ctrl-C still cleans up: `run()` undoes in reverse order, once.
 */
export class Teardown {
  private readonly steps: { name: string; undo: () => Promise<void> }[] = [];

  /** Registers `undo`; returns a function that runs it early (and drops it from the list). */
  defer(name: string, undo: () => Promise<void>): () => Promise<void> {
    const step = { name, undo };
    this.steps.push(step);
    return async () => {
      const index = this.steps.indexOf(step);
      if (index === -1) return;
      this.steps.splice(index, 1);
      await undo();
    };
  }

  /** Undoes everything still registered, newest first; failures are reported, not thrown. */
  async run(report: (line: string) => void = (line) => console.error(line)): Promise<void> {
    while (this.steps.length) {
      const step = this.steps.pop()!;
      try {
        await step.undo();
      } catch (error) {
        report(`cleanup of ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
