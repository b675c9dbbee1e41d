export { HierarchyEditor, NODE_TYPES, flattenNodes } from './HierarchyEditor';
export { CharacteristicForm } from './CharacteristicForm';
export { validate as validateCharacteristic, toBody as characteristicBody, initialValues } from './characteristicValues';
export { RulesEditor, settingsOf, rowsOf, paramSpecs, checkParam } from './RulesEditor';
export { LimitsPanel } from './LimitsPanel';
export { ReasonCodesEditor, UsersEditor } from './ReferenceEditors';
