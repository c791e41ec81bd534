import NN

/// `--steps` stops a run early; the learning-rate schedule still follows the recipe's `optim.total_steps`.
/// Asking for more steps than that trains the extra ones at the schedule's final rate (0 for poly):
/// time spent for little or nothing, so `pretrain` and `finetune` say so before starting.
public func stepsBeyondScheduleWarning(steps: Int?, totalSteps: Int, schedule: LRSchedule, baseLR: Float) -> String? {
    guard let steps, steps > totalSteps else { return nil }
    let end = schedule.lr(base: baseLR, step: totalSteps)
    return "warning: --steps \(steps) is past optim.total_steps \(totalSteps), where the learning-rate schedule ends: steps "
        + "\(totalSteps + 1)–\(steps) would run at lr \(String(format: "%.2e", end)). To train longer, lengthen the schedule: --set optim.total_steps=\(steps)"
}

extension PretrainRecipe {
    /// The schedule `MAEPretrainer` follows.
    public var lrSchedule: LRSchedule {
        .warmupCosine(warmupSteps: optim.warmup_steps, totalSteps: optim.total_steps, minLR: optim.min_lr)
    }
}
