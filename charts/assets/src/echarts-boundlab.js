// The ECharts build that boundlab embeds in every notebook, chart page and
// handout: ECharts' core with only the chart types and components that
// boundlab's charts use. The set-up bundles it with esbuild (both pinned in
// package-lock.json) into charts/assets/echarts-boundlab.min.js, which
// defines the global `echarts` like ECharts' own build.
//
// A chart whose option needs a series type or a component missing here
// fails the charts package's tests (TestBundleHasWhatChartsUse), which read
// the names in use([...]) and in registerFeature(...) below.
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  DataZoomInsideComponent, DataZoomSliderComponent, GridComponent, LegendPlainComponent,
  MarkLineComponent, TimelineComponent, TitleComponent, TooltipComponent, VisualMapContinuousComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import ToolboxModel from 'echarts/lib/component/toolbox/ToolboxModel.js';
import ToolboxView from 'echarts/lib/component/toolbox/ToolboxView.js';
import { registerFeature } from 'echarts/lib/component/toolbox/featureManager.js';
import SaveAsImage from 'echarts/lib/component/toolbox/feature/SaveAsImage.js';

// The toolbox with only the save-as-image button: ECharts' own
// ToolboxComponent also brings data view, magic type, restore and the
// zoom-select brush.
function ToolboxSaveAsImageComponent(registers) {
  registers.registerComponentModel(ToolboxModel);
  registers.registerComponentView(ToolboxView);
  registerFeature('saveAsImage', SaveAsImage);
}

echarts.use([
  BarChart, CustomChart, HeatmapChart, LineChart,
  DataZoomInsideComponent, DataZoomSliderComponent, GridComponent, LegendPlainComponent,
  MarkLineComponent, TimelineComponent, TitleComponent, TooltipComponent, VisualMapContinuousComponent,
  ToolboxSaveAsImageComponent,
  CanvasRenderer,
]);

globalThis.echarts = echarts;
