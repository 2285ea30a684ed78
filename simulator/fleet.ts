/** Builds the simulated units of a plan: one simulator and one feed per device, sharing the region weather. */
import { Weather } from './climate.js';
import { DeviceSimulator } from './device.js';
import { DeviceFeed } from './feed.js';
import { metricColumns } from './format.js';
import type { FleetPlan } from './plan.js';

export interface SimulatedFleet {
  plan: FleetPlan;
  /** Metric columns, in the order of every `values` array a feed emits. */
  columns: string[];
  weather: Weather;
  /** One feed per device, in device order. */
  feeds: DeviceFeed[];
}

export function createSimulatedFleet(plan: FleetPlan): SimulatedFleet {
  const columns = metricColumns();
  const weather = new Weather(plan.regions, plan.heatWaves, plan.options.seed);
  const faultByDevice = new Map(plan.faults.map((fault) => [fault.device, fault]));
  const feeds = plan.devices.map((device) => {
    const fault = faultByDevice.get(device.id) ?? null;
    const simulator = new DeviceSimulator(
      device,
      columns,
      weather,
      fault,
      plan.intervalMs,
      plan.options.seed,
      plan.start,
    );
    return new DeviceFeed(simulator, fault, columns, plan.options.seed);
  });
  return { plan, columns, weather, feeds };
}

/** Machine-fault failures observed so far, by device id. */
export function observedFailures(fleet: SimulatedFleet): Map<string, number | null> {
  return new Map(
    fleet.feeds
      .filter((feed) => feed.simulator.machineFault !== null)
      .map((feed) => [feed.simulator.device.id, feed.simulator.failedAt]),
  );
}
