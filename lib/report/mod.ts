/**
 * Public face of the report stage: plotly figure builders (pure, returning figure JSON), Jupyter
 * mime bundles for the Deno kernel, and self-contained HTML pages for pipelines and validation.
 */
export { FigureInputError, plotlyFigureSchema } from "./figure.ts";
export type { PlotlyFigure, PlotlyLayout, PlotlyTrace } from "./figure.ts";
export { barChart, binCounts, heatmap, histogram, imageGrid, lineChart } from "./figures.ts";
export type {
  AxisTitles,
  BarChartOptions,
  BinnedCounts,
  HeatmapOptions,
  HistogramOptions,
  ImageGridOptions,
  LineChartOptions,
  LineSeries,
  Series,
} from "./figures.ts";
export {
  escapeHtml,
  figureHtml,
  renderHtmlPage,
  scriptJson,
  sectionHtml,
  tableHtml,
} from "./html.ts";
export type { FigureHtmlOptions, ReportBlock, ReportSection, ReportTable } from "./html.ts";
export {
  displayable,
  displayFigure,
  displaySection,
  figureBundle,
  JUPYTER_DISPLAY,
  NotInJupyterError,
  pageProvidesPlotly,
  PLOTLY_JS_ENV,
  resetPlotlyEmbedding,
  sectionBundle,
} from "./display.ts";
export {
  classBalanceChart,
  classIntensityHeatmap,
  classMeanImages,
  classSampleGrid,
  countByClass,
  meanIntensities,
  pixelIntensityHistogram,
  validationSection,
  validationTable,
} from "./dataset.ts";
export type { DisplayableFigure, FigureBundle } from "./display.ts";
export { plotlyJs, plotlyJsPath, PlotlyMissingError, plotlyScriptTag } from "./plotly_js.ts";
export { parallelCoordinates, studyHistoryChart } from "./tuning.ts";
export type { ParcoordsDimension, ParcoordsOptions, StudyHistoryOptions } from "./tuning.ts";
export { displayLiveFigure } from "./live.ts";
export type { DisplayFn, LiveFigure, LiveFigureOptions } from "./live.ts";
export { trainingCurvesChart } from "./training.ts";
export type { TrainingCurvesOptions } from "./training.ts";
export {
  accuracyComparisonChart,
  misclassifiedGrid,
  perClassTable,
  SKLEARN_REFERENCE_ACCURACY,
} from "./evaluation.ts";
export type { AccuracyEntry, MisclassifiedGrid } from "./evaluation.ts";
